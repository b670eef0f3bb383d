// Package schema defines the huntsql archive: the one normalized ECS schema every
// loader writes and every rule reads, and the SQL views laid over it.
//
// Columns are flat and named exactly as ECS names them ("process.parent.name");
// in SQL they are written quoted. docs/archive.md explains the choice.
package schema

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Kind is the storage type of a column.
type Kind uint8

const (
	String     Kind = iota // VARCHAR
	Int                    // BIGINT
	Time                   // TIMESTAMP (microseconds, UTC)
	StringList             // VARCHAR[]: ECS fields that may hold several values
	StringMap              // MAP(VARCHAR, VARCHAR): open-ended name/value data
)

func (k Kind) String() string {
	switch k {
	case String:
		return "VARCHAR"
	case Int:
		return "BIGINT"
	case Time:
		return "TIMESTAMP"
	case StringList:
		return "VARCHAR[]"
	case StringMap:
		return "MAP(VARCHAR, VARCHAR)"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Field is one archive column.
type Field struct {
	Name string
	Kind Kind
	Doc  string
}

// Provenance column names: where each row came from.
const (
	Timestamp    = "@timestamp"
	Original     = "event.original"
	SourceFile   = "huntsql.source_file"
	SourceLine   = "huntsql.source_line"
	SourceOffset = "huntsql.source_offset"
	InputSHA256  = "huntsql.input_sha256"
	LoadID       = "huntsql.load_id"
	EventKey     = "huntsql.event_key"
	Record       = "huntsql.record"
	Warnings     = "huntsql.warnings"
)

// Fields is the archive schema, in column order. It is the only definition:
// the Arrow schema, the Parquet files, the views and the docs derive from it.
var Fields = []Field{
	{Timestamp, Time, "Event time, UTC, microsecond precision (extra digits truncated)."},
	{"_id", String, "Elasticsearch document id, when the input carried one."},
	{"_index", String, "Elasticsearch index or data stream backing index."},
	{"message", String, ""},
	{"tags", StringList, ""},
	{"ecs.version", String, ""},

	{"event.id", String, ""},
	{"event.kind", String, ""},
	{"event.category", StringList, ""},
	{"event.type", StringList, ""},
	{"event.action", String, ""},
	{"event.outcome", String, ""},
	{"event.code", String, ""},
	{"event.module", String, ""},
	{"event.dataset", String, ""},
	{"event.provider", String, ""},
	{"event.sequence", Int, ""},
	{"event.created", Time, ""},
	{"event.ingested", Time, ""},
	{"rule.name", String, "The detection rule that produced the event (Sysmon RuleName)."},
	{"error.code", String, ""},

	{"data_stream.type", String, ""},
	{"data_stream.dataset", String, ""},
	{"data_stream.namespace", String, ""},

	{"host.name", String, ""},
	{"host.hostname", String, ""},
	{"host.id", String, ""},
	{"host.domain", String, ""},
	{"host.architecture", String, ""},
	{"host.ip", StringList, ""},
	{"host.mac", StringList, ""},
	{"host.os.type", String, ""},
	{"host.os.family", String, ""},
	{"host.os.name", String, ""},
	{"host.os.platform", String, ""},
	{"host.os.version", String, ""},
	{"host.os.kernel", String, ""},
	{"host.os.full", String, ""},

	{"agent.id", String, ""},
	{"agent.name", String, ""},
	{"agent.type", String, ""},
	{"agent.version", String, ""},

	{"process.pid", Int, ""},
	{"process.entity_id", String, ""},
	{"process.name", String, ""},
	{"process.executable", String, ""},
	{"process.command_line", String, ""},
	{"process.args", StringList, ""},
	{"process.args_count", Int, ""},
	{"process.working_directory", String, ""},
	{"process.title", String, ""},
	{"process.start", Time, ""},
	{"process.exit_code", Int, ""},
	{"process.hash.md5", String, ""},
	{"process.hash.sha1", String, ""},
	{"process.hash.sha256", String, ""},
	{"process.thread.id", Int, ""},
	{"process.pe.original_file_name", String, ""},
	{"process.pe.description", String, ""},
	{"process.pe.product", String, ""},
	{"process.pe.company", String, ""},
	{"process.pe.file_version", String, ""},
	{"process.pe.imphash", String, ""},

	{"process.parent.pid", Int, ""},
	{"process.parent.entity_id", String, ""},
	{"process.parent.name", String, ""},
	{"process.parent.executable", String, ""},
	{"process.parent.command_line", String, ""},
	{"process.parent.args", StringList, ""},
	{"process.parent.args_count", Int, ""},
	{"process.parent.working_directory", String, ""},
	{"process.parent.start", Time, ""},

	{"user.id", String, ""},
	{"user.name", String, ""},
	{"user.domain", String, ""},
	{"user.effective.id", String, ""},
	{"user.effective.name", String, ""},
	{"user.effective.domain", String, ""},
	{"user.audit.id", String, "The audit (login) user's id: auditd's auid, which survives su and sudo (auditbeat's field)."},
	{"user.audit.name", String, "The audit (login) user's name, from an enriched audit log."},
	{"related.user", StringList, ""},
	{"related.ip", StringList, ""},
	{"related.hash", StringList, ""},
	{"related.hosts", StringList, ""},
	{"user.target.id", String, ""},
	{"user.target.name", String, ""},
	{"user.target.domain", String, ""},
	{"group.id", String, ""},
	{"group.name", String, ""},
	{"group.domain", String, ""},

	{"source.ip", String, "IP address as text (IPv4-mapped IPv6 written as IPv4)."},
	{"source.port", Int, ""},
	{"source.domain", String, ""},
	{"destination.ip", String, ""},
	{"destination.port", Int, ""},
	{"destination.domain", String, ""},
	{"network.transport", String, ""},
	{"network.protocol", String, ""},
	{"network.direction", String, ""},
	{"network.type", String, ""},
	{"dns.question.name", String, ""},
	{"dns.answers.data", StringList, "dns.answers[].data, in answer order (dns.answers.type is parallel)."},
	{"dns.answers.type", StringList, "dns.answers[].type, parallel to dns.answers.data."},
	{"dns.resolved_ip", StringList, ""},

	{"file.path", String, ""},
	{"file.name", String, ""},
	{"file.directory", String, ""},
	{"file.extension", String, ""},
	{"file.target_path", String, "Elastic also puts a share-relative path here (Security 5145: ShareName\\RelativeTargetName)."},
	{"file.hash.md5", String, ""},
	{"file.hash.sha1", String, ""},
	{"file.hash.sha256", String, ""},
	{"file.pe.imphash", String, ""},
	{"file.pe.original_file_name", String, ""},
	{"file.pe.description", String, ""},
	{"file.pe.product", String, ""},
	{"file.pe.company", String, ""},
	{"file.pe.file_version", String, ""},
	{"file.code_signature.subject_name", String, ""},
	{"file.code_signature.status", String, ""},
	{"dll.path", String, ""},
	{"dll.name", String, ""},
	{"dll.hash.md5", String, ""},
	{"dll.hash.sha1", String, ""},
	{"dll.hash.sha256", String, ""},
	{"dll.pe.imphash", String, ""},
	{"dll.pe.original_file_name", String, ""},
	{"dll.pe.description", String, ""},
	{"dll.pe.product", String, ""},
	{"dll.pe.company", String, ""},
	{"dll.pe.file_version", String, ""},
	{"dll.code_signature.subject_name", String, ""},
	{"dll.code_signature.status", String, ""},
	{"registry.path", String, ""},
	{"registry.hive", String, ""},
	{"registry.key", String, ""},
	{"registry.value", String, ""},
	{"registry.data.strings", StringList, ""},
	{"registry.data.type", String, ""},
	{"service.name", String, ""},
	{"service.type", String, ""},

	{"winlog.channel", String, ""},
	{"winlog.provider_name", String, ""},
	{"winlog.provider_guid", String, ""},
	{"winlog.event_id", String, ""},
	{"winlog.record_id", Int, ""},
	{"winlog.computer_name", String, ""},
	{"winlog.version", Int, ""},
	{"winlog.task", String, ""},
	{"winlog.opcode", String, ""},
	{"winlog.logon.id", String, ""},
	{"winlog.logon.type", String, "Logon type name (Network, Interactive, …); the number stays in winlog.event_data.LogonType."},
	{"winlog.event_data", StringMap, "All EventData name/value pairs, verbatim."},

	{Original, String, "The input event's exact text (or the input's own event.original)."},
	{Record, String, "The record's exact text when event.original came from the input itself."},
	{Warnings, StringList, "Normalization warnings for this row (e.g. a scalar field given several values)."},
	{SourceFile, String, "Absolute path of the input file ('-' for stdin)."},
	{SourceLine, Int, "1-based line of the record's first byte in the decompressed input."},
	{SourceOffset, Int, "0-based byte offset of the record in the decompressed input."},
	{InputSHA256, String, "SHA-256 of the input file as read from disk."},
	{LoadID, String, "The load that archived the row."},
	{EventKey, String, "The event's identity, for de-duplication: xxh3-128 (hex) of its _id, else of host, channel and record id, else of its record text."},
}

// PerEvent names the columns whose values differ on almost every row: Parquet
// dictionary encoding and string statistics only cost time there.
var PerEvent = []string{Original, Record, EventKey, "_id", "event.id", SourceOffset, SourceLine,
	"process.entity_id", "process.pid", "process.hash.md5", "process.hash.sha1", "process.hash.sha256"}

// Filtered names the text columns that hunts filter on most: Parquet keeps
// min/max statistics for them (and for every number and time) so DuckDB can
// skip row groups; statistics on other text columns cost load time for little.
var Filtered = []string{"host.name", "host.os.type", "event.code", "event.action", "event.dataset",
	"data_stream.dataset", "process.name", "process.parent.name", "agent.id", "user.name"}

var index = func() map[string]int {
	m := make(map[string]int, len(Fields))
	for i, f := range Fields {
		if _, dup := m[f.Name]; dup {
			panic("schema: duplicate field " + f.Name)
		}
		m[f.Name] = i
	}
	return m
}()

// Index returns the column index of name, or -1.
func Index(name string) int {
	if i, ok := index[name]; ok {
		return i
	}
	return -1
}

// MustIndex is Index for names the code itself spells; it panics on a typo.
func MustIndex(name string) int {
	i := Index(name)
	if i < 0 {
		panic("schema: no field " + name)
	}
	return i
}

// Arrow returns the Arrow schema of the archive's Parquet files.
func Arrow() *arrow.Schema {
	fs := make([]arrow.Field, len(Fields))
	for i, f := range Fields {
		fs[i] = arrow.Field{Name: f.Name, Type: arrowType(f.Kind), Nullable: true}
	}
	return arrow.NewSchema(fs, nil)
}

func arrowType(k Kind) arrow.DataType {
	switch k {
	case String:
		return arrow.BinaryTypes.String
	case Int:
		return arrow.PrimitiveTypes.Int64
	case Time:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case StringList:
		return arrow.ListOf(arrow.BinaryTypes.String)
	case StringMap:
		return arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String)
	}
	panic(fmt.Sprintf("schema: no arrow type for %v", k))
}
