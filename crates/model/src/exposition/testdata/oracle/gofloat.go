package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand"
	"os"
	"strconv"
	"strings"
)

func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	r := rand.New(rand.NewSource(1))
	// Format: bits<TAB>FormatFloat(g,-1)
	var vals []float64
	for _, v := range []float64{0, 1, -1, 0.1, 1e6, 1e21, 1e-7, 123456789, 0.000001, 100000, 999999, 1234567, 5e-324, math.MaxFloat64, 1e20, 1e-5, 1e-4, 0.00012345, 123456.7} {
		vals = append(vals, v)
	}
	for i := 0; i < 100000; i++ {
		vals = append(vals, math.Float64frombits(r.Uint64()))
	}
	for i := 0; i < 100000; i++ {
		e := r.Intn(40) - 20
		vals = append(vals, math.Round(r.Float64()*1e6)/1e6*math.Pow(10, float64(e)))
	}
	for i := 0; i < 20000; i++ {
		vals = append(vals, float64(r.Int63n(10000000000)))
	}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		fmt.Fprintf(w, "F\t%016x\t%s\n", math.Float64bits(v), strconv.FormatFloat(v, 'g', -1, 64))
	}
	// Parse: string<TAB>result bits or error
	alpha := "0123456789.eE+-infINFaNty_x"
	for i := 0; i < 200000; i++ {
		n := 1 + r.Intn(8)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteByte(alpha[r.Intn(len(alpha))])
		}
		s := b.String()
		if strings.ContainsAny(s, "pP_") {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			fmt.Fprintf(w, "P\t%s\tERR %s\n", s, err.Error())
		} else {
			fmt.Fprintf(w, "P\t%s\t%016x\n", s, math.Float64bits(v))
		}
	}
	for _, s := range []string{"1e400", "-1e400", "1e-400", "Inf", "+Inf", "-inf", "infinity", "NaN", "nan", "+NaN", "-NaN", "0x10", "1.e5", "+.5", ".", "1e", "00.1e-0", "1E05"} {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			fmt.Fprintf(w, "P\t%s\tERR %s\n", s, err.Error())
		} else {
			fmt.Fprintf(w, "P\t%s\t%016x\n", s, math.Float64bits(v))
		}
	}
}
