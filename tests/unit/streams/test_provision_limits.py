"""Topics tether creates allow the messages it may send."""

from __future__ import annotations

from streams.provision import KAFKA_MAX_MESSAGE_BYTES, TopicSpec, _configs


def test_a_limit_above_kafkas_default_is_set_on_new_topics():
    spec = TopicSpec("t.webcrm.Products", 4, compacted=True)
    assert _configs(spec, 5_000_000) == {
        "cleanup.policy": "compact",
        "max.message.bytes": "5000000",
    }
    assert _configs(TopicSpec("t.deadletters", 4), 5_000_000) == {
        "max.message.bytes": "5000000"
    }


def test_the_default_limit_leaves_the_brokers_setting_alone():
    spec = TopicSpec("t.webcrm.Products", 4, compacted=True)
    assert _configs(spec, 1_000_000) == {"cleanup.policy": "compact"}
    assert _configs(spec, KAFKA_MAX_MESSAGE_BYTES) == {"cleanup.policy": "compact"}
    assert _configs(TopicSpec("t.reports", 4), None) == {}
