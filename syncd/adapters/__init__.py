"""Google Calendar and Zoom over the wire: clients, request bodies, retries and rate limits.
Each translates its wire errors into the ports' failures at its edge; takes plain values,
never the config."""
