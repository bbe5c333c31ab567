"""faust wiring: app, topics, tables, agents, codecs, provisioning, transport fixes."""
