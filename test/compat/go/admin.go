package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// AdminReport is what kadm saw, call by call, for the suite to check.
type AdminReport struct {
	CreatedPartitions  int32             `json:"createdPartitions"`
	CreateAgainError   string            `json:"createAgainError"`
	Listed             bool              `json:"listed"`
	PartitionsAfterAdd int               `json:"partitionsAfterAdd"`
	Leaders            []int32           `json:"leaders"`
	RetentionCreated   string            `json:"retentionCreated"`
	RetentionAltered   string            `json:"retentionAltered"`
	Groups             map[string]string `json:"groups"`
	GroupState         string            `json:"groupState"`
	GroupProtocolType  string            `json:"groupProtocolType"`
	GroupMembers       int               `json:"groupMembers"`
	Committed          map[int32]int64   `json:"committed"`
	StartOffsets       map[int32]int64   `json:"startOffsets"`
	EndOffsets         map[int32]int64   `json:"endOffsets"`
	ListedAfterDelete  bool              `json:"listedAfterDelete"`
	DescribeUnknownErr string            `json:"describeUnknownError"`
}

// admin exercises kadm on a topic of its own (<topic>-admin): create with a config, create again, list,
// add a partition, describe and alter configs, delete; and reads the group and topic that consume left
// behind: list and describe groups, committed offsets, start and end offsets.
func admin(ctx context.Context, o options) (*AdminReport, error) {
	if o.group == "" {
		return nil, fmt.Errorf("admin needs -group (a group with commits on -topic)")
	}
	adm, err := newAdmin(o)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	r := &AdminReport{}
	own := o.topic + "-admin"
	hour := "3600000"
	created, err := adm.CreateTopic(ctx, 2, -1, map[string]*string{"retention.ms": &hour}, own)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", own, err)
	}
	r.CreatedPartitions = created.NumPartitions
	_, err = adm.CreateTopic(ctx, 2, -1, nil, own)
	r.CreateAgainError = errName(err)

	if _, err := adm.CreatePartitions(ctx, 1, own); err != nil {
		return nil, fmt.Errorf("create partitions: %w", err)
	}
	// Metadata reaches every broker of a cluster a moment after the controller answers: wait for it.
	err = waitFor(ctx, "the added partition in the metadata", func() (bool, error) {
		topics, err := adm.ListTopics(ctx)
		if err != nil {
			return false, err
		}
		t, ok := topics[own]
		r.Listed = ok
		r.PartitionsAfterAdd = len(t.Partitions)
		r.Leaders = nil
		for _, p := range t.Partitions.Sorted() {
			r.Leaders = append(r.Leaders, p.Leader)
		}
		return ok && len(t.Partitions) == 3 && !slices.Contains(r.Leaders, -1), nil
	})
	if err != nil {
		return nil, err
	}

	if r.RetentionCreated, err = topicConfig(ctx, adm, own, "retention.ms"); err != nil {
		return nil, err
	}
	twoHours := "7200000"
	altered, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: &twoHours}}, own)
	if err == nil {
		_, err = altered.On(own, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("alter configs: %w", err)
	}
	// A cluster's brokers apply a config change a moment after the controller accepts it, and describe may
	// ask another broker: wait for the new value.
	err = waitFor(ctx, "the altered retention in the described configs", func() (bool, error) {
		r.RetentionAltered, err = topicConfig(ctx, adm, own, "retention.ms")
		return r.RetentionAltered == twoHours, err
	})
	if err != nil {
		return nil, fmt.Errorf("%w (last read %q)", err, r.RetentionAltered)
	}
	configs, err := adm.DescribeTopicConfigs(ctx, "no-such-topic-"+own)
	if err == nil && len(configs) == 1 {
		err = configs[0].Err
	}
	r.DescribeUnknownErr = errName(err)

	listed, err := adm.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	r.Groups = map[string]string{}
	for name, g := range listed {
		r.Groups[name] = g.State
	}
	described, err := adm.DescribeGroups(ctx, o.group)
	if err != nil {
		return nil, fmt.Errorf("describe groups: %w", err)
	}
	g := described[o.group]
	r.GroupState, r.GroupProtocolType, r.GroupMembers = g.State, g.ProtocolType, len(g.Members)
	committed, err := adm.FetchOffsets(ctx, o.group)
	if err != nil {
		return nil, fmt.Errorf("fetch offsets: %w", err)
	}
	r.Committed = map[int32]int64{}
	committed.Each(func(c kadm.OffsetResponse) { r.Committed[c.Partition] = c.At })
	if r.StartOffsets, err = listed0(adm.ListStartOffsets(ctx, o.topic)); err != nil {
		return nil, err
	}
	if r.EndOffsets, err = listed0(adm.ListEndOffsets(ctx, o.topic)); err != nil {
		return nil, err
	}

	if _, err := adm.DeleteTopic(ctx, own); err != nil {
		return nil, fmt.Errorf("delete %s: %w", own, err)
	}
	err = waitFor(ctx, "the deleted topic gone from the metadata", func() (bool, error) {
		topics, err := adm.ListTopics(ctx)
		r.ListedAfterDelete = topics.Has(own)
		return err == nil && !r.ListedAfterDelete, err
	})
	return r, err
}

func topicConfig(ctx context.Context, adm *kadm.Client, topic, key string) (string, error) {
	configs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return "", fmt.Errorf("describe configs: %w", err)
	}
	rc, err := configs.On(topic, nil)
	if err != nil {
		return "", fmt.Errorf("describe configs of %s: %w", topic, err)
	}
	for _, c := range rc.Configs {
		if c.Key == key && c.Value != nil {
			return *c.Value, nil
		}
	}
	return "", fmt.Errorf("%s has no %s in its described configs", topic, key)
}

func listed0(offsets kadm.ListedOffsets, err error) (map[int32]int64, error) {
	if err == nil {
		err = offsets.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	out := map[int32]int64{}
	offsets.Each(func(l kadm.ListedOffset) { out[l.Partition] = l.Offset })
	return out, nil
}

// errName is the Kafka error code's name (TOPIC_ALREADY_EXISTS …), "" for none, else the error's text.
func errName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
