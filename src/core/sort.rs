//! One sort for the whole library. The standard library's sorts are generic over the
//! element type and large (driftsort and ipnsort with their small-sorts and partitions:
//! about 30 KB of the wasm for the dozen element types sorted here). This one orders
//! indices with a merge sort compiled once, behind a `dyn` comparison, and then moves the
//! elements into place; per element type only a short wrapper remains. Stable,
//! O(n log n), one index buffer of scratch. The lists sorted here are short (memory
//! pages, file elements, interfaces, releases, a language's messages).

use std::cmp::Ordering;

/// Sort `v` by `cmp`, keeping equal elements in their order.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order = {
        let items = &*v;
        order_by(items.len(), &mut |a, b| cmp(&items[a], &items[b]))
    };
    permute(v, &mut order);
}

/// Sort `v` by `key`, keeping elements with equal keys in their order.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sort `v` in ascending order.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The indices `0..n` in the order `cmp` gives them, equal ones as they were: a bottom-up
/// merge sort, the only code here that does not depend on the element type.
fn order_by(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut from: Vec<usize> = (0..n).collect();
    let mut to = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut l, mut r, mut k) = (start, mid, start);
            while l < mid && r < end {
                // Take from the right only when strictly less: stable.
                if cmp(from[r], from[l]) == Ordering::Less {
                    to[k] = from[r];
                    r += 1;
                } else {
                    to[k] = from[l];
                    l += 1;
                }
                k += 1;
            }
            to[k..k + (mid - l)].copy_from_slice(&from[l..mid]);
            k += mid - l;
            to[k..k + (end - r)].copy_from_slice(&from[r..end]);
            start = end;
        }
        std::mem::swap(&mut from, &mut to);
        width *= 2;
    }
    from
}

/// Rearrange `v` so that position `k` holds what was at `order[k]` (`order` is a
/// permutation of `v`'s indices; it is used up), following each cycle with swaps.
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    for i in 0..order.len() {
        let mut k = i;
        loop {
            let src = order[k];
            order[k] = k; // done
            if src == i {
                break;
            }
            v.swap(k, src);
            k = src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_ordered_against_the_standard_library() {
        // Every length to 40 and a few patterns, pairs whose second half tells equal
        // keys apart; the expectation is std's stable sort.
        for n in 0..40u32 {
            for pattern in 0..4u32 {
                let v: Vec<(u32, u32)> = (0..n)
                    .map(|i| {
                        let key = match pattern {
                            0 => i,
                            1 => n - i,
                            2 => (i * 7 + 3) % 5,
                            _ => i.wrapping_mul(2654435761) >> 28,
                        };
                        (key, i)
                    })
                    .collect();
                let mut ours = v.clone();
                sort_by_key(&mut ours, |e| e.0);
                let mut std = v.clone();
                std.sort_by_key(|e| e.0);
                assert_eq!(ours, std, "n {n}, pattern {pattern}");
            }
        }
    }

    #[test]
    fn strings_and_a_reversed_comparison() {
        let mut v = vec!["pear", "apple", "fig", "apple", "kiwi"];
        sort(&mut v);
        assert_eq!(v, ["apple", "apple", "fig", "kiwi", "pear"]);
        sort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v, ["pear", "kiwi", "fig", "apple", "apple"]);
    }

    proptest::proptest! {
        #[test]
        fn any_list_as_std_sorts_it(v in proptest::collection::vec((0u8..8, proptest::num::u16::ANY), 0..300)) {
            let mut ours = v.clone();
            sort_by_key(&mut ours, |e| e.0);
            let mut std = v.clone();
            std.sort_by_key(|e| e.0);
            proptest::prop_assert_eq!(ours, std);
        }
    }
}
