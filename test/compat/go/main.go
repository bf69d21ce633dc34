// Command compat-client drives franz-go (kgo and its kadm admin package) against a Kafka-compatible broker
// for the compatibility suite test/suites/go-client.ts. Each subcommand does one scenario and prints what
// the client saw as one JSON object on stdout; the suite asserts on it, so the same binary proves the same
// things against the embedded broker and against Apache Kafka. Any client error exits non-zero with the
// error on stderr.
//
//	compat-client produce -brokers B -topic T -partitions P -records N -compression C
//	compat-client consume -brokers B -topic T -group G -records N [-instance ID]
//	compat-client members -brokers B -topic T -group G -records N
//	compat-client admin   -brokers B -topic T -group G
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Every scenario finishes well within this; a broker that stops answering fails the run instead of hanging.
const deadline = 45 * time.Second

type options struct {
	brokers     string
	topic       string
	group       string
	instance    string
	partitions  int
	records     int
	compression string
}

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: compat-client produce|consume|members|admin -brokers host:port …"))
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	var o options
	fs.StringVar(&o.brokers, "brokers", "", "bootstrap host:port (comma separated)")
	fs.StringVar(&o.topic, "topic", "", "topic")
	fs.StringVar(&o.group, "group", "", "consumer group")
	fs.StringVar(&o.instance, "instance", "", "group.instance.id for static membership")
	fs.IntVar(&o.partitions, "partitions", 3, "partitions of the topic produce creates")
	fs.IntVar(&o.records, "records", 30, "records to produce or consume")
	fs.StringVar(&o.compression, "compression", "none", "none|gzip|snappy|lz4|zstd")
	if err := fs.Parse(os.Args[2:]); err != nil {
		fail(err)
	}
	if o.brokers == "" || o.topic == "" {
		fail(fmt.Errorf("%s needs -brokers and -topic", cmd))
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var out any
	var err error
	switch cmd {
	case "produce":
		out, err = produce(ctx, o)
	case "consume":
		out, err = consume(ctx, o)
	case "members":
		out, err = members(ctx, o)
	case "admin":
		out, err = admin(ctx, o)
	default:
		err = fmt.Errorf("unknown command %q: use produce, consume, members or admin", cmd)
	}
	if err != nil {
		fail(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compat-client:", err)
	os.Exit(1)
}

func newClient(o options, extra ...kgo.Opt) (*kgo.Client, error) {
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(strings.Split(o.brokers, ",")...),
		kgo.ClientID("franz-go-compat"),
		kgo.FetchMaxWait(200 * time.Millisecond),
	}, extra...)
	return kgo.NewClient(opts...)
}

func newAdmin(o options) (*kadm.Client, error) {
	// kgo answers a Metadata request from its cache for MetadataMinAge (5 s by default); the admin scenario
	// waits for topics to appear and go, so it asks the broker each time.
	cl, err := newClient(o, kgo.MetadataMinAge(50*time.Millisecond))
	if err != nil {
		return nil, err
	}
	return kadm.NewClient(cl), nil
}

// Record is a consumed record as the suite compares it.
type Record struct {
	Partition int32             `json:"partition"`
	Offset    int64             `json:"offset"`
	Timestamp int64             `json:"timestamp"`
	Key       string            `json:"key"`
	Value     string            `json:"value"`
	Headers   map[string]string `json:"headers"`
}

func toRecord(r *kgo.Record) Record {
	headers := map[string]string{}
	for _, h := range r.Headers {
		headers[h.Key] = string(h.Value)
	}
	return Record{r.Partition, r.Offset, r.Timestamp.UnixMilli(), string(r.Key), string(r.Value), headers}
}

var codecs = map[string]kgo.CompressionCodec{
	"none":   kgo.NoCompression(),
	"gzip":   kgo.GzipCompression(),
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
}

// ProduceReport is what produce saw: the offsets acknowledged, the records read back without a group, and
// the end offsets the admin client lists afterwards.
type ProduceReport struct {
	ProducerID int64           `json:"producerId"`
	Produced   []Record        `json:"produced"`
	Consumed   []Record        `json:"consumed"`
	EndOffsets map[int32]int64 `json:"endOffsets"`
	Created    string          `json:"created"`
}

// produce creates the topic, produces with acks=all through the idempotent producer (franz-go's default)
// with the given codec, keys, headers and explicit timestamps to chosen partitions, then reads every
// partition from the start with a direct (group-less) consumer.
func produce(ctx context.Context, o options) (*ProduceReport, error) {
	codec, ok := codecs[o.compression]
	if !ok {
		return nil, fmt.Errorf("unknown compression %q: use none, gzip, snappy, lz4 or zstd", o.compression)
	}
	adm, err := newAdmin(o)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	created, err := adm.CreateTopic(ctx, int32(o.partitions), -1, nil, o.topic)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", o.topic, err)
	}
	report := &ProduceReport{Created: created.Topic}

	pr, err := newClient(o, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchCompression(codec),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	recs := make([]*kgo.Record, o.records)
	for i := range recs {
		recs[i] = &kgo.Record{
			Topic:     o.topic,
			Partition: int32(i % o.partitions),
			Key:       []byte(fmt.Sprintf("key-%d", i)),
			Value:     []byte(fmt.Sprintf("%s value %d %s", o.compression, i, strings.Repeat("x", i*5))),
			Headers:   []kgo.RecordHeader{{Key: "i", Value: []byte(fmt.Sprint(i))}, {Key: "codec", Value: []byte(o.compression)}},
			Timestamp: base.Add(time.Duration(i) * time.Millisecond),
		}
	}
	if err := pr.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return nil, fmt.Errorf("produce: %w", err)
	}
	for _, r := range recs {
		report.Produced = append(report.Produced, toRecord(r))
	}
	if report.ProducerID, _, err = pr.ProducerID(ctx); err != nil {
		return nil, fmt.Errorf("producer id: %w", err)
	}

	from := map[int32]kgo.Offset{}
	for p := 0; p < o.partitions; p++ {
		from[int32(p)] = kgo.NewOffset().AtStart()
	}
	cons, err := newClient(o, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.topic: from}))
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	for len(report.Consumed) < o.records {
		fetches := cons.PollFetches(ctx)
		if err := fetchErr(fetches); err != nil {
			return nil, err
		}
		fetches.EachRecord(func(r *kgo.Record) { report.Consumed = append(report.Consumed, toRecord(r)) })
	}
	ends, err := adm.ListEndOffsets(ctx, o.topic)
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	report.EndOffsets = map[int32]int64{}
	ends.Each(func(l kadm.ListedOffset) { report.EndOffsets[l.Partition] = l.Offset })
	return report, nil
}

func fetchErr(f kgo.Fetches) error {
	if errs := f.Errors(); len(errs) > 0 {
		e := errs[0]
		return fmt.Errorf("fetch %s[%d]: %w", e.Topic, e.Partition, e.Err)
	}
	return nil
}

// ConsumeReport is one run of a group member: what it read and committed, and its group generation.
type ConsumeReport struct {
	MemberID   string   `json:"memberId"`
	Generation int32    `json:"generation"`
	Records    []Record `json:"records"`
}

// consume joins the group (optionally as a static member), reads exactly -records records from where the
// group's commits left off, committing each poll's records synchronously, and closes. A static member's
// close sends no LeaveGroup: it stays in the group until its session times out.
func consume(ctx context.Context, o options) (*ConsumeReport, error) {
	extra := []kgo.Opt{
		kgo.ConsumerGroup(o.group), kgo.ConsumeTopics(o.topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.SessionTimeout(10 * time.Second),
	}
	if o.instance != "" {
		extra = append(extra, kgo.InstanceID(o.instance))
	}
	cl, err := newClient(o, extra...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	report := &ConsumeReport{}
	for len(report.Records) < o.records {
		fetches := cl.PollRecords(ctx, o.records-len(report.Records))
		if err := fetchErr(fetches); err != nil {
			return nil, err
		}
		recs := fetches.Records()
		for _, r := range recs {
			report.Records = append(report.Records, toRecord(r))
		}
		if len(recs) > 0 {
			if err := cl.CommitRecords(ctx, recs...); err != nil {
				return nil, fmt.Errorf("commit: %w", err)
			}
		}
	}
	report.MemberID, report.Generation = cl.GroupMetadata()
	return report, nil
}
