"""Class 1 fax modems on serial ports: the AT channel, the Class 1 driver, the source."""
