//! Minimum-cost perfect matching of a square cost matrix (Hungarian algorithm with potentials,
//! O(n³)): which site of one structure pairs with which site of the other.

/// Returns `assignment[row] = column` minimising the summed cost. `cost` is row-major n×n with
/// finite entries.
pub fn min_cost_assignment(cost: &[f64], n: usize) -> Vec<usize> {
    debug_assert_eq!(cost.len(), n * n);
    if n == 0 {
        return Vec::new();
    }
    // 1-based arrays as in the classic formulation; column 0 is the virtual start.
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0usize;
            for j in 1..=n {
                if used[j] {
                    continue;
                }
                let cur = cost[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
                if cur < minv[j] {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if minv[j] < delta {
                    delta = minv[j];
                    j1 = j;
                }
            }
            if j1 == 0 {
                // Only reachable with non-finite costs; callers pass finite ones.
                break;
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut assignment = vec![0usize; n];
    for j in 1..=n {
        if p[j] > 0 {
            assignment[p[j] - 1] = j - 1;
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(cost: &[f64], n: usize, a: &[usize]) -> f64 {
        a.iter().enumerate().map(|(i, &j)| cost[i * n + j]).sum()
    }

    #[test]
    fn matches_brute_force() {
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in 1..=6 {
            for _ in 0..20 {
                let cost: Vec<f64> = (0..n * n).map(|_| (next() * 10.0).floor()).collect();
                let a = min_cost_assignment(&cost, n);
                let mut seen = a.clone();
                seen.sort();
                assert_eq!(seen, (0..n).collect::<Vec<_>>());
                // Brute force over permutations.
                let mut perm: Vec<usize> = (0..n).collect();
                let mut best = f64::INFINITY;
                permute(&mut perm, 0, &mut |p| best = best.min(total(&cost, n, p)));
                assert!((total(&cost, n, &a) - best).abs() < 1e-9);
            }
        }
    }

    fn permute(v: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize])) {
        if k == v.len() {
            f(v);
            return;
        }
        for i in k..v.len() {
            v.swap(k, i);
            permute(v, k + 1, f);
            v.swap(k, i);
        }
    }
}
