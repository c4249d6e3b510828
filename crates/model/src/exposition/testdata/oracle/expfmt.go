package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand"
	"os"
	"sort"
	"strconv"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

func main() {
	r := rand.New(rand.NewSource(7))
	strs := []string{"", "a", "x\\y", "q\"uote", "new\nline", "tab\there", "ü€", "\\n", "\\\"", "end\\"}
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e6, 1234567, 1e-7, 100000, 1e21, math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, math.MaxFloat64, 123456789, 0.000001}
	types := []dto.MetricType{dto.MetricType_COUNTER, dto.MetricType_GAUGE, dto.MetricType_UNTYPED}
	for i := 0; i < 300; i++ {
		mf := &dto.MetricFamily{Name: proto.String(fmt.Sprintf("fam_%d", i)), Type: types[r.Intn(3)].Enum()}
		help := "-"
		if r.Intn(3) > 0 {
			h := strs[r.Intn(len(strs))] + strs[r.Intn(len(strs))]
			mf.Help = proto.String(h)
			help = hex.EncodeToString([]byte(h))
		}
		n := 1 + r.Intn(3)
		fmt.Printf("F\t%s\t%s\t%s\n", *mf.Name, help, mf.Type.String())
		for j := 0; j < n; j++ {
			m := &dto.Metric{}
			names := map[string]bool{}
			for k := 0; k < r.Intn(4); k++ {
				name := string(rune('a'+r.Intn(5))) + "l"
				v := strs[1+r.Intn(len(strs)-1)] + strconv.Itoa(j)
				if names[name] {
					continue
				}
				names[name] = true
				m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(name), Value: proto.String(v)})
			}
			sort.Slice(m.Label, func(a, b int) bool { return *m.Label[a].Name < *m.Label[b].Name })
			var v float64
			if r.Intn(2) == 0 {
				v = vals[r.Intn(len(vals))]
			} else {
				v = math.Float64frombits(r.Uint64())
				if math.IsNaN(v) {
					v = 3
				}
			}
			ts := "-"
			if r.Intn(2) == 0 {
				t := r.Int63n(2e12)
				m.TimestampMs = proto.Int64(t)
				ts = strconv.FormatInt(t, 10)
			}
			switch *mf.Type {
			case dto.MetricType_COUNTER:
				m.Counter = &dto.Counter{Value: proto.Float64(v)}
			case dto.MetricType_GAUGE:
				m.Gauge = &dto.Gauge{Value: proto.Float64(v)}
			default:
				m.Untyped = &dto.Untyped{Value: proto.Float64(v)}
			}
			mf.Metric = append(mf.Metric, m)
			var ls bytes.Buffer
			for k, l := range m.Label {
				if k > 0 {
					ls.WriteByte(0x1f)
				}
				ls.WriteString(*l.Name + "=" + *l.Value)
			}
			fmt.Printf("S\t%s\t%016x\t%s\n", hex.EncodeToString(ls.Bytes()), math.Float64bits(v), ts)
		}
		var out bytes.Buffer
		if _, err := expfmt.MetricFamilyToText(&out, mf); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("=\t%s\n", hex.EncodeToString(out.Bytes()))
	}
}
