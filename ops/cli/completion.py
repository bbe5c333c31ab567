"""``tether completion bash|zsh|fish``: a shell completion script, made from the parser.

The script is generated from the same ``argparse`` parser that runs the command,
so a new sub-command or option completes without anyone editing a script. It
completes sub-commands (nested ones too: ``tether broker st<TAB>``), options
and the fixed choices of arguments; everything else falls back to file names.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ops.cli import Command, build_parser, sub_commands

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Level:
    """One parser of the tree: its path of sub-command names and what it offers."""

    path: tuple[str, ...]
    commands: dict[str, str]
    options: dict[str, str]
    choices: tuple[str, ...]


def _help(action: argparse.Action) -> str:
    text = action.help if action.help not in (None, argparse.SUPPRESS) else ""
    return " ".join(str(text).split())


def levels(parser: argparse.ArgumentParser) -> Iterator[Level]:
    """Every parser under ``parser`` with its sub-commands, options and choices."""
    yield from _levels(parser, ())


def _levels(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> Iterator[Level]:
    commands: dict[str, str] = {}
    options: dict[str, str] = {}
    choices: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: _help(a) for a in action._choices_actions}
            commands = {name: helps.get(name, "") for name in action.choices}
        elif action.option_strings:
            options.update(dict.fromkeys(action.option_strings, _help(action)))
        elif action.choices:
            choices += [str(c) for c in action.choices]
    yield Level(path, commands, options, tuple(choices))
    for name, sub in sub_commands(parser).items():
        yield from _levels(sub, (*path, name))


def _words(words: Iterable[object]) -> str:
    return shlex.quote(" ".join(str(w) for w in words))


def _case(name: str, cases: list[tuple[tuple[str, ...], list[str]]]) -> list[str]:
    """A shell function printing the words of each command path."""
    lines = [f"{name}() {{", '    case "$1" in']
    for path, words in cases:
        lines.append(f"        {_words(['tether', *path])}) echo {_words(words)} ;;")
    return [*lines, "    esac", "}"]


# Walks the words typed so far: each one that names a sub-command of the path
# so far extends it; the last, unfinished word is completed from that path.
_BASH_MAIN = """\
_tether() {
    local cur="${COMP_WORDS[COMP_CWORD]}" path=tether word i subs
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        subs=" $(_tether_subcommands "$path") "
        if [[ $word != -* && $subs == *" $word "* ]]; then
            path="$path $word"
        fi
    done
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_tether_options "$path")" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$(_tether_words "$path")" -- "$cur"))
    fi
}
complete -o default -F _tether tether
"""


def bash_script(parser: argparse.ArgumentParser) -> str:
    """A bash completion script for ``tether`` (bash 4 or later)."""
    tree = list(levels(parser))
    return "\n".join(
        [
            "# tether completion for bash: source it, or save it as",
            "# ~/.local/share/bash-completion/completions/tether",
            *_case(
                "_tether_subcommands",
                [(lv.path, list(lv.commands)) for lv in tree if lv.commands],
            ),
            *_case(
                "_tether_words",
                [(lv.path, [*lv.commands, *lv.choices]) for lv in tree],
            ),
            *_case("_tether_options", [(lv.path, list(lv.options)) for lv in tree]),
            _BASH_MAIN,
        ]
    )


def zsh_script(parser: argparse.ArgumentParser) -> str:
    """A zsh completion script: the bash one through zsh's ``bashcompinit``."""
    return "\n".join(
        [
            "# tether completion for zsh: source it from ~/.zshrc",
            "autoload -U +X compinit && compinit",
            "autoload -U +X bashcompinit && bashcompinit",
            bash_script(parser),
        ]
    )


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish_script(parser: argparse.ArgumentParser) -> str:
    """A fish completion script (one ``complete`` line per word)."""
    lines = [
        "# tether completion for fish: save it in ~/.config/fish/completions/",
        "complete -c tether -f",
    ]
    for level in levels(parser):
        if not level.path:
            condition = "__fish_use_subcommand"
        else:
            # The deepest name seen decides; nested names are unique enough here.
            condition = f"__fish_seen_subcommand_from {level.path[-1]}"
            if level.commands:
                nested = " ".join(level.commands)
                condition += f"; and not __fish_seen_subcommand_from {nested}"
        cond = _fish_quote(condition)
        for name, text in level.commands.items():
            lines.append(
                f"complete -c tether -n {cond} -a {name} -d {_fish_quote(text)}"
            )
        for choice in level.choices:
            lines.append(f"complete -c tether -n {cond} -a {_fish_quote(choice)}")
        for option, text in level.options.items():
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            lines.append(f"complete -c tether -n {cond} {flag} -d {_fish_quote(text)}")
    return "\n".join(lines) + "\n"


def script(shell: str, parser: argparse.ArgumentParser | None = None) -> str:
    """The completion script for ``shell``."""
    parser = parser or build_parser()
    makers = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}
    return makers[shell](parser)


def run(args: argparse.Namespace) -> int:
    """Print the script."""
    sys.stdout.write(script(args.shell))
    return 0


def _options(parser: argparse.ArgumentParser) -> None:
    """The options of ``tether completion``."""
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")


COMMAND = Command(
    "completion",
    help="print a shell completion script (bash, zsh or fish)",
    description=(
        "bash: `source <(tether completion bash)` (or save it in"
        " ~/.local/share/bash-completion/completions/tether); zsh: `source"
        " <(tether completion zsh)` in ~/.zshrc; fish: `tether completion fish >"
        " ~/.config/fish/completions/tether.fish`."
    ),
    options=_options,
    run=run,
)
