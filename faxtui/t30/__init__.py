"""Pure fax protocol code: no sockets, no serial ports, no clocks it was not given."""
