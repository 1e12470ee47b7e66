//! STL's passes (R's `stl.f`): cycle-subseries and trend smoothing by loess, low-pass filter, robustness weights.

/// The spans, degrees and jumps of the three smoothers (validated).
pub(super) struct Spans {
    pub(super) np: usize,
    pub(super) ns: usize,
    pub(super) nt: usize,
    pub(super) nl: usize,
    pub(super) isdeg: usize,
    pub(super) itdeg: usize,
    pub(super) ildeg: usize,
    pub(super) nsjump: usize,
    pub(super) ntjump: usize,
    pub(super) nljump: usize,
}

/// Scratch space for the inner loop (R's `work(n + 2 np, 5)`).
pub(super) struct Work {
    pub(super) w1: Vec<f64>,
    pub(super) w2: Vec<f64>,
    pub(super) w3: Vec<f64>,
    pub(super) w4: Vec<f64>,
    pub(super) w5: Vec<f64>,
}

/// R's `stl` Fortran routine: the outer loop around the inner loop. Returns the
/// seasonal, the trend and the robustness weights.
pub(super) fn run(y: &[f64], spec: &Spans, ni: usize, no: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = y.len();
    let len = n + 2 * spec.np;
    let mut work = Work {
        w1: vec![0.0; len],
        w2: vec![0.0; len],
        w3: vec![0.0; len],
        w4: vec![0.0; len],
        w5: vec![0.0; len],
    };
    let mut trend = vec![0.0; n];
    let mut season = vec![0.0; n];
    let mut rw = vec![1.0; n];
    let mut userw = false;
    let mut k = 0;
    loop {
        inner_loop(
            y,
            spec,
            ni,
            userw.then_some(&rw[..]),
            &mut season,
            &mut trend,
            &mut work,
        );
        k += 1;
        if k > no {
            break;
        }
        for i in 0..n {
            work.w1[i] = trend[i] + season[i];
        }
        robustness_weights(y, &work.w1[..n], &mut rw);
        userw = true;
    }
    if no == 0 {
        rw.fill(1.0);
    }
    (season, trend, rw)
}

/// R's `stlstp`: `ni` passes of the inner loop.
pub(super) fn inner_loop(
    y: &[f64],
    spec: &Spans,
    ni: usize,
    rw: Option<&[f64]>,
    season: &mut [f64],
    trend: &mut [f64],
    work: &mut Work,
) {
    let n = y.len();
    let np = spec.np;
    for _ in 0..ni {
        for i in 0..n {
            work.w1[i] = y[i] - trend[i];
        }
        cycle_subseries(
            &work.w1[..n],
            spec,
            rw,
            &mut work.w2,
            &mut work.w3,
            &mut work.w4,
            &mut work.w5,
        );
        low_pass_means(&work.w2, np, &mut work.w3, &mut work.w1);
        loess(
            &work.w3[..n],
            spec.nl,
            spec.ildeg,
            spec.nljump,
            None,
            &mut work.w1[..n],
            &mut work.w5,
        );
        for ((s, a), b) in season.iter_mut().zip(&work.w2[np..]).zip(&work.w1) {
            *s = a - b;
        }
        for i in 0..n {
            work.w1[i] = y[i] - season[i];
        }
        loess(
            &work.w1[..n],
            spec.nt,
            spec.itdeg,
            spec.ntjump,
            rw,
            trend,
            &mut work.w3,
        );
    }
}

/// R's `stlss`: smooths each cycle-subseries and extends it by one value at each end;
/// `season` (length `n + 2 np`) receives the smoothed, extended subseries interleaved.
pub(super) fn cycle_subseries(
    y: &[f64],
    spec: &Spans,
    rw: Option<&[f64]>,
    season: &mut [f64],
    sub: &mut [f64],
    smooth: &mut [f64],
    scratch: &mut [f64],
) {
    let n = y.len();
    let np = spec.np;
    let ns = spec.ns;
    // Subseries weights go after the subseries values in `sub` (at most n/2 + 1 each).
    for j in 0..np {
        let k = (n - 1 - j) / np + 1;
        let (vals, rest) = sub.split_at_mut(k);
        for (i, v) in vals.iter_mut().enumerate() {
            *v = y[i * np + j];
        }
        let sub_rw = rw.map(|rw| {
            let w = &mut rest[..k];
            for (i, v) in w.iter_mut().enumerate() {
                *v = rw[i * np + j];
            }
            &*w
        });
        let vals = &*vals;
        loess(
            vals,
            ns,
            spec.isdeg,
            spec.nsjump,
            sub_rw,
            &mut smooth[1..=k],
            scratch,
        );
        let right = ns.min(k);
        smooth[0] =
            local_fit(vals, ns, spec.isdeg, 0.0, 1, right, scratch, sub_rw).unwrap_or(smooth[1]);
        let left = if k >= ns { k - ns + 1 } else { 1 };
        smooth[k + 1] = local_fit(
            vals,
            ns,
            spec.isdeg,
            (k + 1) as f64,
            left,
            k,
            scratch,
            sub_rw,
        )
        .unwrap_or(smooth[k]);
        for m in 0..k + 2 {
            season[m * np + j] = smooth[m];
        }
    }
}

/// R's `stlfts`: moving averages of lengths `np`, `np` and 3 of `x` (length `n + 2 np`)
/// into `out` (length `n`), `scratch` holding the middle step.
pub(super) fn low_pass_means(x: &[f64], np: usize, out: &mut [f64], scratch: &mut [f64]) {
    let len = x.len();
    moving_average(x, np, out);
    moving_average(&out[..len - np + 1], np, scratch);
    moving_average(&scratch[..len - 2 * np + 2], 3, out);
}

/// R's `stlma`: running means of `span` consecutive values, `x.len() - span + 1` of them,
/// by a running sum.
pub(super) fn moving_average(x: &[f64], span: usize, ave: &mut [f64]) {
    let newn = x.len() - span + 1;
    let flen = span as f64;
    let mut v: f64 = x[..span].iter().sum();
    ave[0] = v / flen;
    for j in 1..newn {
        v = v - x[j - 1] + x[j + span - 1];
        ave[j] = v / flen;
    }
}

/// R's `stless`: loess of span `len` and degree `ideg` of `y` at positions 1..=n, fitted
/// at every `njump`-th position (and the last) and interpolated linearly in between.
pub(super) fn loess(
    y: &[f64],
    len: usize,
    ideg: usize,
    njump: usize,
    rw: Option<&[f64]>,
    ys: &mut [f64],
    res: &mut [f64],
) {
    let n = y.len();
    if n < 2 {
        ys[0] = y[0];
        return;
    }
    // 1-based positions as in the Fortran; ys[i - 1] holds position i.
    let newnj = njump.min(n - 1);
    let (mut nleft, mut nright) = (1, n);
    let mut fit = |i: usize, nleft: usize, nright: usize, ys: &mut [f64]| {
        ys[i - 1] = local_fit(y, len, ideg, i as f64, nleft, nright, res, rw).unwrap_or(y[i - 1]);
    };
    if len >= n {
        for i in (1..=n).step_by(newnj) {
            fit(i, nleft, nright, ys);
        }
    } else if newnj == 1 {
        let nsh = len.div_ceil(2);
        nright = len;
        for i in 1..=n {
            if i > nsh && nright != n {
                nleft += 1;
                nright += 1;
            }
            fit(i, nleft, nright, ys);
        }
    } else {
        let nsh = len.div_ceil(2);
        for i in (1..=n).step_by(newnj) {
            if i < nsh {
                nleft = 1;
                nright = len;
            } else if i > n - nsh {
                nleft = n - len + 1;
                nright = n;
            } else {
                nleft = i - nsh + 1;
                nright = len + i - nsh;
            }
            fit(i, nleft, nright, ys);
        }
    }
    if newnj != 1 {
        let step = newnj as f64;
        let mut i = 1;
        while i <= n - newnj {
            let delta = (ys[i + newnj - 1] - ys[i - 1]) / step;
            for j in i + 1..i + newnj {
                ys[j - 1] = ys[i - 1] + delta * (j - i) as f64;
            }
            i += newnj;
        }
        let k = ((n - 1) / newnj) * newnj + 1;
        if k != n {
            // The window of the last fitted position, as the Fortran.
            fit(n, nleft, nright, ys);
            if k != n - 1 {
                let delta = (ys[n - 1] - ys[k - 1]) / (n - k) as f64;
                for j in k + 1..n {
                    ys[j - 1] = ys[k - 1] + delta * (j - k) as f64;
                }
            }
        }
    }
}

/// R's `stlest`: the loess value at position `xs` (1-based, may lie outside 1..=n) from
/// the points `nleft..=nright`, tricube-weighted (times `rw` when given); `None` when
/// every weight is zero. `w` is scratch of length at least n.
#[allow(clippy::too_many_arguments)]
pub(super) fn local_fit(
    y: &[f64],
    len: usize,
    ideg: usize,
    xs: f64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
    rw: Option<&[f64]>,
) -> Option<f64> {
    let n = y.len();
    let range = n as f64 - 1.0;
    let mut h = (xs - nleft as f64).max(nright as f64 - xs);
    if len > n {
        h += ((len - n) / 2) as f64;
    }
    let h9 = 0.999 * h;
    let h1 = 0.001 * h;
    // The window's slices: position j (1-based) is element j - nleft.
    let y = &y[nleft - 1..nright];
    let w = &mut w[nleft - 1..nright];
    let rw = rw.map(|rw| &rw[nleft - 1..nright]);
    // The same operations in the same order as the Fortran, in fewer passes; positions
    // counted in floating point (exact).
    let first = nleft as f64;
    let mut a = 0.0;
    let mut p = first;
    for (k, wk) in w.iter_mut().enumerate() {
        let r = (p - xs).abs();
        *wk = if r <= h9 {
            let mut v = if r <= h1 {
                1.0
            } else {
                let u = r / h;
                let c = 1.0 - u * u * u;
                c * c * c
            };
            if let Some(rw) = rw {
                v *= rw[k];
            }
            a += v;
            v
        } else {
            0.0
        };
        p += 1.0;
    }
    if a <= 0.0 {
        return None;
    }
    let mut ys = 0.0;
    if !(h > 0.0 && ideg > 0) {
        for (wk, yk) in w.iter().zip(y) {
            ys += (wk / a) * yk;
        }
        return Some(ys);
    }
    // Local line: weighted mean position, spread, then the weights tilted towards xs.
    let mut mean = 0.0;
    p = first;
    for wk in w.iter_mut() {
        *wk /= a;
        mean += *wk * p;
        p += 1.0;
    }
    let mut c = 0.0;
    p = first;
    for wk in w.iter() {
        let d = p - mean;
        c += wk * (d * d);
        p += 1.0;
    }
    if c.sqrt() > 0.001 * range {
        let b = (xs - mean) / c;
        p = first;
        for (wk, yk) in w.iter().zip(y) {
            ys += (wk * (b * (p - mean) + 1.0)) * yk;
            p += 1.0;
        }
    } else {
        for (wk, yk) in w.iter().zip(y) {
            ys += wk * yk;
        }
    }
    Some(ys)
}

/// R's `stlrwt`: bisquare robustness weights of the residuals `y - fit` over six times
/// their "median" absolute value, `3 (a[n/2 + 1] + a[n - n/2])` (1-based) after R's
/// partial sort [`psort`], which is what R computes, not always the median.
pub(super) fn robustness_weights(y: &[f64], fit: &[f64], rw: &mut [f64]) {
    let n = y.len();
    let mut r: Vec<f64> = y.iter().zip(fit).map(|(a, b)| (a - b).abs()).collect();
    let mid1 = n / 2 + 1;
    let mid2 = n - mid1 + 1;
    psort(&mut r, &[mid1, mid2]);
    let cmad = 3.0 * (r[mid1 - 1] + r[mid2 - 1]);
    let c9 = 0.999 * cmad;
    let c1 = 0.001 * cmad;
    for i in 0..n {
        let r = (y[i] - fit[i]).abs();
        rw[i] = if r <= c1 {
            1.0
        } else if r <= c9 {
            let u = r / cmad;
            let b = 1.0 - u * u;
            b * b
        } else {
            0.0
        };
    }
}

/// R's `psort` (stl.f): a partial quicksort meant to put the elements at the 1-based
/// positions `ind` in their sorted places. R calls it with `ind = (n/2 + 1, n/2)` for
/// even `n`, out of the ascending order the routine assumes, so the second position is
/// not always the order statistic; reproduced step by step (Fortran labels in comments)
/// so that robust STL gives R's numbers.
pub(super) fn psort(values: &mut [f64], ind: &[usize]) {
    #[derive(Clone, Copy)]
    enum Label {
        L161,
        L166,
        L173,
        L10,
        L174,
    }
    let n = values.len();
    let ni = ind.len();
    // The partition loops of R's routine never end on NaN (every comparison is false);
    // `Stl::fit` scales its input so none arises, and this guard keeps the routine
    // bounded whatever a future caller passes (the values are left unsorted).
    if n < 2 || ni == 0 || values.iter().any(|v| v.is_nan()) {
        return;
    }
    // 1-based copy; a[0] = -inf is a sentinel the insertion sort never needs in R but
    // that keeps it in bounds whatever the input.
    let mut a = Vec::with_capacity(n + 1);
    a.push(f64::NEG_INFINITY);
    a.extend_from_slice(values);
    let ind_at = |q: isize| ind[(q - 1) as usize] as isize;
    let (mut il, mut iu, mut indl, mut indu) = (
        vec![0isize; 17],
        vec![0isize; 17],
        vec![0isize; 17],
        vec![0isize; 17],
    );
    let (mut jl, mut ju) = (1isize, ni as isize);
    indl[1] = 1;
    indu[1] = ni as isize;
    let (mut i, mut j, mut m) = (1isize, n as isize, 1isize);
    let mut label = Label::L161;
    loop {
        match label {
            Label::L161 => label = if i < j { Label::L10 } else { Label::L166 },
            Label::L166 => {
                m -= 1;
                if m <= 0 {
                    break;
                }
                let mu = m as usize;
                i = il[mu];
                j = iu[mu];
                jl = indl[mu];
                ju = indu[mu];
                label = if jl <= ju { Label::L173 } else { Label::L166 };
            }
            Label::L173 => label = if j - i > 10 { Label::L10 } else { Label::L174 },
            Label::L10 => {
                let at = |q: isize| q as usize;
                let mut k = i;
                let ij = (i + j) / 2;
                let mut t = a[at(ij)];
                if a[at(i)] > t {
                    a[at(ij)] = a[at(i)];
                    a[at(i)] = t;
                    t = a[at(ij)];
                }
                let mut l = j;
                if a[at(j)] < t {
                    a[at(ij)] = a[at(j)];
                    a[at(j)] = t;
                    t = a[at(ij)];
                    if a[at(i)] > t {
                        a[at(ij)] = a[at(i)];
                        a[at(i)] = t;
                        t = a[at(ij)];
                    }
                }
                // 181
                loop {
                    l -= 1;
                    if l < 1 {
                        break;
                    }
                    if a[at(l)] <= t {
                        let tt = a[at(l)];
                        // 186
                        loop {
                            k += 1;
                            if k > n as isize || a[at(k)] >= t {
                                break;
                            }
                        }
                        if k > l {
                            break;
                        }
                        a[at(l)] = a[at(k)];
                        a[at(k)] = tt;
                    }
                }
                // 183
                let mu = m as usize;
                if mu + 1 >= il.len() {
                    for v in [&mut il, &mut iu, &mut indl, &mut indu] {
                        v.resize(mu + 2, 0);
                    }
                }
                indl[mu] = jl;
                indu[mu] = ju;
                let p = mu;
                m += 1;
                label = Label::L173;
                if l - i <= j - k {
                    il[p] = k;
                    iu[p] = j;
                    j = l;
                    // 193
                    loop {
                        if jl > ju {
                            label = Label::L166;
                            break;
                        }
                        if ind_at(ju) > j {
                            ju -= 1;
                            continue;
                        }
                        indl[p] = ju + 1;
                        break;
                    }
                } else {
                    il[p] = i;
                    iu[p] = l;
                    i = k;
                    // 200
                    loop {
                        if jl > ju {
                            label = Label::L166;
                            break;
                        }
                        if ind_at(jl) < i {
                            jl += 1;
                            continue;
                        }
                        indu[p] = jl - 1;
                        break;
                    }
                }
            }
            Label::L174 => {
                if i != 1 {
                    // Insertion sort of a[i..=j].
                    i -= 1;
                    loop {
                        i += 1;
                        if i >= j {
                            break;
                        }
                        let t = a[(i + 1) as usize];
                        if a[i as usize] > t {
                            let mut k = i as usize;
                            loop {
                                a[k + 1] = a[k];
                                k -= 1;
                                if t >= a[k] {
                                    break;
                                }
                            }
                            a[k + 1] = t;
                        }
                    }
                    label = Label::L166;
                } else {
                    label = Label::L161;
                }
            }
        }
    }
    values.copy_from_slice(&a[1..]);
}
