"""The passes: reading calendars through the ports, carrying out plans with the journal and
the lease, and what a failure means for its event. Imports the core and the store's
interface, never an adapter."""
