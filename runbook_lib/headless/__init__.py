"""Running the runbooks without a person: the CLI, the papermill runner, parameter checks, reports,
history between runs and the Prometheus textfile. The top layer: it may import every runbook."""
