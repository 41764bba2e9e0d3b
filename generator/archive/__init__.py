"""The year's record: results.json codec, the stored inputs."""
