//! `topk`/`bottomk` selection, step for step as Prometheus 2.42 does it.
//!
//! Which of several equal values survive, and in which order they come out,
//! depends on the exact heap operations of Go's `container/heap` and on Go's
//! `sort.Sort` (an insertion sort for up to 12 elements). Range queries show
//! the survivors and instant queries their order, so both are reproduced here
//! rather than approximated with a generic selection.

use crate::eval::Sample;

/// A bounded heap of the `k` best samples of one group.
pub(crate) struct TopK {
    heap: Vec<Sample>,
    k: usize,
    top: bool,
}

impl TopK {
    /// A heap seeded with the group's first sample.
    pub(crate) fn new(first: Sample, k: usize, top: bool) -> Self {
        TopK { heap: vec![first], k, top }
    }

    /// Prometheus' `vectorByValueHeap` (topk) or `vectorByReverseValueHeap`
    /// (bottomk) `Less`: NaN is "smallest", so it is evicted first.
    fn less(&self, i: usize, j: usize) -> bool {
        let (a, b) = (self.heap[i].v, self.heap[j].v);
        if a.is_nan() {
            return true;
        }
        if self.top { a < b } else { a > b }
    }

    /// Offers a sample: it enters when there is room or it beats the worst kept one.
    pub(crate) fn offer(&mut self, s: Sample) {
        let worst = self.heap[0].v;
        let beats = if self.top { worst < s.v } else { worst > s.v };
        if self.heap.len() < self.k || beats || worst.is_nan() {
            if self.heap.len() == self.k {
                if self.k == 1 {
                    self.heap[0] = s;
                    return;
                }
                self.pop();
            }
            self.heap.push(s);
            let last = self.heap.len() - 1;
            self.up(last);
        }
    }

    fn pop(&mut self) {
        let n = self.heap.len() - 1;
        self.heap.swap(0, n);
        self.down(0, n);
        self.heap.pop();
    }

    fn up(&mut self, mut j: usize) {
        while j > 0 {
            let i = (j - 1) / 2;
            if !self.less(j, i) {
                break;
            }
            self.heap.swap(i, j);
            j = i;
        }
    }

    fn down(&mut self, mut i: usize, n: usize) {
        loop {
            let j1 = 2 * i + 1;
            if j1 >= n {
                break;
            }
            let mut j = j1;
            if j1 + 1 < n && self.less(j1 + 1, j1) {
                j = j1 + 1;
            }
            if !self.less(j, i) {
                break;
            }
            self.heap.swap(i, j);
            i = j;
        }
    }

    /// The kept samples, best first: Go's `sort.Sort(sort.Reverse(heap))`.
    pub(crate) fn into_sorted(mut self) -> Vec<Sample> {
        let n = self.heap.len();
        if n <= 12 {
            // Go's sort.Sort runs an insertion sort on short inputs.
            for i in 1..n {
                let mut j = i;
                // Reverse(Less)(j, j-1) is Less(j-1, j).
                while j > 0 && self.less(j - 1, j) {
                    self.heap.swap(j, j - 1);
                    j -= 1;
                }
            }
        } else {
            let top = self.top;
            self.heap.sort_by(|a, b| crate::functions::vector_cmp_nan_last(a.v, b.v, top));
        }
        self.heap
    }
}
