package winjson

import (
	"bufio"
	"slices"
	"strings"

	"huntsql/loader/ecs"
	"huntsql/loader/format"
	"huntsql/loader/winevent"
)

// EVTXJSON is the Rust evtx_dump tool's JSON output, and Velociraptor's
// parse_evtx rows.
var EVTXJSON = &format.Format{
	Name:        "evtx-json",
	Doc:         "EVTX rendered as JSON by evtx_dump (-o json with Record lines, or -o jsonl) or Velociraptor's parse_evtx",
	Sniff:       sniffEVTX,
	NewSplitter: newEVTXSplitter,
	NewNormalizer: func(format.Options) format.Normalizer {
		n := &evtxNormalizer{m: winevent.NewMapper()}
		return format.Single(n.Normalize)
	},
}

// FlatJSON is flat Windows-event JSON (NXLog, Logstash, OTRF/Mordor).
var FlatJSON = &format.Format{
	Name:        "windows-flat-json",
	LocalTime:   true, // NXLog's EventTime has no zone
	Doc:         "flat Windows event JSON (NXLog im_msvistalog, Logstash, OTRF Security-Datasets)",
	Sniff:       sniffFlat,
	NewSplitter: ecsSplitter,
	NewNormalizer: func(opts format.Options) format.Normalizer {
		n := &flatNormalizer{m: winevent.NewMapper(), loc: opts.Location()}
		return format.Single(n.Normalize)
	},
}

// WinlogbeatJSON is winlogbeat and Elastic Agent Windows output: ECS JSON
// with winlog.*.
var WinlogbeatJSON = &format.Format{
	Name:        "winlogbeat-json",
	Doc:         "winlogbeat / Elastic Agent Windows events (ECS JSON with winlog.*)",
	Sniff:       sniffWinlogbeat,
	NewSplitter: ecsSplitter,
	NewNormalizer: func(format.Options) format.Normalizer {
		n := &winlogbeatNormalizer{ecs: ecs.NewNormalizer(), m: winevent.NewMapper()}
		return format.Single(n.Normalize)
	},
}

func ecsSplitter(r *bufio.Reader, opts format.Options) format.Splitter {
	return ecs.NewSplitter(r, opts.MaxRecord)
}

// sniffEVTX claims a first document {"Event": {"System": …}}, or
// {"System": {"EventID": …, "TimeCreated" or "Channel": …}} (Velociraptor).
func sniffEVTX(head []byte) format.Confidence {
	keys, ok := format.FirstJSONKeys(head)
	switch {
	case !ok:
		return format.No
	case slices.Contains(keys, "Event.System") || slices.Contains(keys, "Event.EventData"):
		return format.Certain
	case slices.Contains(keys, "System.EventID") && (slices.Contains(keys, "System.TimeCreated") || slices.Contains(keys, "System.Channel")):
		return format.Certain // Velociraptor's parse_evtx rows
	case slices.Contains(keys, "Event") && !slices.ContainsFunc(keys, isECSKey):
		return format.Likely
	}
	return format.No
}

// sniffWinlogbeat claims a first document with winlog.channel,
// winlog.provider_name, winlog.event_id or winlog.event_data, nested or dotted.
func sniffWinlogbeat(head []byte) format.Confidence {
	keys, ok := format.FirstJSONKeys(head)
	if !ok {
		return format.No
	}
	for _, k := range keys {
		switch {
		case k == "winlog.channel", k == "winlog.provider_name", k == "winlog.event_id", k == "winlog.event_data",
			strings.HasPrefix(k, "winlog.event_data."):
			return format.Certain
		}
	}
	return format.No
}

// sniffFlat claims a first document with an event id member (EventID,
// event_id, EventId, …) and a channel, provider, host or event time member
// beside it, and neither an Event nor a winlog member.
func sniffFlat(head []byte) format.Confidence {
	keys, ok := format.FirstJSONKeys(head)
	if !ok {
		return format.No
	}
	id, context := false, false
	for _, k := range keys {
		if strings.Contains(k, ".") {
			continue
		}
		switch k {
		case "Event", "winlog":
			return format.No
		}
		switch headerSlots[string(fold(nil, []byte(k)))] {
		case sEventID:
			id = true
		case sChannel, sLogName, sHostname, sComputer, sComputerName, sSourceName, sProviderName, sEventTime, sTimeCreated:
			context = true
		}
	}
	if id && context {
		return format.Likely
	}
	return format.No
}

// isECSKey reports keys that mark an ECS document rather than evtx_dump's.
func isECSKey(k string) bool {
	return k == "@timestamp" || k == "ecs" || strings.HasPrefix(k, "ecs.")
}
