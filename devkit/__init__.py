"""The local development kit: a Kafka broker from Maven jars and whole deployments
(stand-ins, worker processes) on one machine, for the demo and the tests."""
