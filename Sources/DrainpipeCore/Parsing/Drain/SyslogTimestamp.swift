/// Reads the timestamps of syslog headers (RFC 5424 `TIMESTAMP`): `UTCDateTime.parse(_:in:syntax:)` in its strict
/// syntax, which is the default.
package typealias SyslogTimestamp = UTCDateTime
