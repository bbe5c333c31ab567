"""Everything that knows about Kafka and Faust: the app, topics, agents, the CLI."""
