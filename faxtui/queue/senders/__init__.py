"""The ways a job leaves: a fax modem of ours, an Asterisk server, later HylaFAX."""
