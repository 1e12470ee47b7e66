//! Lloyd's assignment pass: every point's nearest centroid, every iteration.

use super::assign::Assigner;
use super::data::Data;
use super::run::Pass;
use crate::kernels::{fmax, map_chunks_mut};
use crate::math::simd::vectorized;

/// One Lloyd assignment pass: labels, per-chunk sums and counts.
pub(super) fn lloyd_pass(
    data: &Data,
    centroids: &[f64],
    k: usize,
    labels: &mut [usize],
) -> Vec<Pass> {
    let assigner = Assigner::new(centroids, k, data.d);
    let asg = &assigner;
    map_chunks_mut(labels, |lo, lab| {
        vectorized(
            #[inline(always)]
            || lloyd_chunk(data, asg, lo, lab),
        )
    })
}

/// The assignments of the points `lo..lo + labels.len()` (see [`lloyd_pass`]).
#[inline(always)]
fn lloyd_chunk(data: &Data, asg: &Assigner, lo: usize, labels: &mut [usize]) -> Pass {
    let (k, d) = (asg.k, data.d);
    let mut pass = Pass {
        sums: vec![0.0; k * d],
        counts: vec![0; k],
        changed: 0,
        finite: true,
        max_xx: 0.0,
    };
    let mut buf = asg.buffer();
    // |x|^2 for a block of points first: independent loads that bring the block into
    // cache before the dependent work.
    const B: usize = 32;
    let mut xxs = [0.0f64; B];
    for (b, labs) in labels.chunks_mut(B).enumerate() {
        let first = lo + b * B;
        for (xx, x) in xxs.iter_mut().zip(data.x[first * d..].chunks_exact(d)) {
            *xx = x.iter().map(|v| v * v).sum();
            pass.finite &= xx.is_finite();
            pass.max_xx = fmax(pass.max_xx, *xx);
        }
        for (off, label) in labs.iter_mut().enumerate() {
            let x = data.row(first + off);
            let best = asg.nearest(x, xxs[off], &mut buf);
            pass.changed += usize::from(best != *label);
            *label = best;
            pass.counts[best] += 1;
            for (s, v) in pass.sums[best * d..(best + 1) * d].iter_mut().zip(x) {
                *s += v;
            }
        }
    }
    pass
}
