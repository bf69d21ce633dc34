package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// member is one consumer of the three-member group, with what it read and every (re)assignment it saw.
type member struct {
	name     string
	cl       *kgo.Client
	mu       sync.Mutex
	owned    map[int32]bool
	revoked  []int32
	consumed []Record
	done     chan struct{}
	stopOnce sync.Once
}

// MemberReport is one member's view: the partitions it owned at each phase's end, what it read, and the
// partitions revoked from it once the group was stable with three: under cooperative rebalancing the
// survivors lose none when the third member leaves, and the leaver gives up its own.
type MemberReport struct {
	Name                 string   `json:"name"`
	OwnedWithThree       []int32  `json:"ownedWithThree"`
	OwnedWithTwo         []int32  `json:"ownedWithTwo,omitempty"`
	RevokedAfterPhaseOne []int32  `json:"revokedAfterPhaseOne"`
	Consumed             []Record `json:"consumed"`
	LeftAfterPhaseOne    bool     `json:"leftAfterPhaseOne"`
}

// MembersReport is the whole scenario as the suite checks it.
type MembersReport struct {
	Protocol       string          `json:"protocol"`
	StateWithThree string          `json:"stateWithThree"`
	MembersInGroup []int           `json:"membersInGroup"`
	Members        []*MemberReport `json:"members"`
	Committed      map[int32]int64 `json:"committed"`
}

func (m *member) ownedNow() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ps []int32
	for p, ok := range m.owned {
		if ok {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

func (m *member) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.consumed)
}

func startMember(ctx context.Context, o options, name string) (*member, error) {
	m := &member{name: name, owned: map[int32]bool{}, consumed: []Record{}, done: make(chan struct{})}
	cl, err := newClient(o,
		kgo.ConsumerGroup(o.group), kgo.ConsumeTopics(o.topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.BlockRebalanceOnPoll(),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(500*time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range a[o.topic] {
				m.owned[p] = true
			}
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range r[o.topic] {
				m.owned[p] = false
				m.revoked = append(m.revoked, p)
			}
		}),
	)
	if err != nil {
		return nil, err
	}
	m.cl = cl
	go m.loop(ctx)
	return m, nil
}

// loop polls, records and commits each batch before allowing the next rebalance, so no record is read twice.
func (m *member) loop(ctx context.Context) {
	defer close(m.done)
	for {
		fetches := m.cl.PollRecords(ctx, 100)
		if fetches.IsClientClosed() || ctx.Err() != nil {
			return
		}
		recs := fetches.Records()
		m.mu.Lock()
		for _, r := range recs {
			m.consumed = append(m.consumed, toRecord(r))
		}
		m.mu.Unlock()
		if len(recs) > 0 {
			_ = m.cl.CommitRecords(ctx, recs...)
		}
		m.cl.AllowRebalance()
	}
}

// stop leaves the group, after the poll loop has committed what it read.
func (m *member) stop() {
	m.stopOnce.Do(func() {
		m.cl.Close()
		<-m.done
	})
}

// waitFor polls cond every 50 ms until it holds or the context ends.
func waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// members runs three group members (cooperative-sticky) over a topic that produce already filled with
// -records records, waits until the group is stable with every partition owned and every record read,
// stops the third member, produces -records more, and waits until the two survivors read those too.
func members(ctx context.Context, o options) (*MembersReport, error) {
	adm, err := newAdmin(o)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	topics, err := adm.ListTopics(ctx, o.topic)
	if err != nil {
		return nil, err
	}
	partitions := len(topics[o.topic].Partitions)
	if partitions == 0 {
		return nil, fmt.Errorf("topic %s has no partitions: run produce first", o.topic)
	}

	var ms []*member
	for _, name := range []string{"m1", "m2", "m3"} {
		m, err := startMember(ctx, o, name)
		if err != nil {
			return nil, err
		}
		defer m.stop()
		ms = append(ms, m)
	}
	total := func(of []*member) int {
		n := 0
		for _, m := range of {
			n += m.count()
		}
		return n
	}
	report := &MembersReport{}
	var described kadm.DescribedGroup
	err = waitFor(ctx, "three members sharing every partition and every record read", func() (bool, error) {
		owned := 0
		for _, m := range ms {
			if len(m.ownedNow()) == 0 {
				return false, nil
			}
			owned += len(m.ownedNow())
		}
		if owned != partitions || total(ms) < o.records {
			return false, nil
		}
		groups, err := adm.DescribeGroups(ctx, o.group)
		if err != nil {
			return false, err
		}
		described = groups[o.group]
		return described.State == "Stable" && len(described.Members) == 3, nil
	})
	if err != nil {
		return nil, err
	}
	report.Protocol, report.StateWithThree = described.Protocol, described.State
	report.MembersInGroup = append(report.MembersInGroup, len(described.Members))
	for _, m := range ms {
		m.mu.Lock()
		m.revoked = nil
		m.mu.Unlock()
		report.Members = append(report.Members, &MemberReport{Name: m.name, OwnedWithThree: m.ownedNow()})
	}

	ms[2].stop()
	report.Members[2].LeftAfterPhaseOne = true
	survivors := ms[:2]
	err = waitFor(ctx, "the two survivors owning every partition", func() (bool, error) {
		return len(survivors[0].ownedNow())+len(survivors[1].ownedNow()) == partitions, nil
	})
	if err != nil {
		return nil, err
	}
	groups, err := adm.DescribeGroups(ctx, o.group)
	if err != nil {
		return nil, err
	}
	report.MembersInGroup = append(report.MembersInGroup, len(groups[o.group].Members))

	if err := produceMore(ctx, o, partitions); err != nil {
		return nil, err
	}
	err = waitFor(ctx, "the survivors reading the second batch", func() (bool, error) {
		return total(ms) >= 2*o.records, nil
	})
	if err != nil {
		return nil, err
	}
	for i, m := range ms {
		m.mu.Lock()
		report.Members[i].RevokedAfterPhaseOne = append([]int32{}, m.revoked...)
		m.mu.Unlock()
		if i < 2 {
			report.Members[i].OwnedWithTwo = m.ownedNow()
			m.stop()
		}
		report.Members[i].Consumed = m.consumed
	}
	committed, err := adm.FetchOffsets(ctx, o.group)
	if err != nil {
		return nil, err
	}
	report.Committed = map[int32]int64{}
	committed.Each(func(r kadm.OffsetResponse) { report.Committed[r.Partition] = r.At })
	return report, nil
}

// produceMore appends -records records round-robin over the partitions, values "second-<i>".
func produceMore(ctx context.Context, o options, partitions int) error {
	pr, err := newClient(o, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return err
	}
	defer pr.Close()
	recs := make([]*kgo.Record, o.records)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: o.topic, Partition: int32(i % partitions), Value: []byte(fmt.Sprintf("second-%d", i))}
	}
	return pr.ProduceSync(ctx, recs...).FirstErr()
}
