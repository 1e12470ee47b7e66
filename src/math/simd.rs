//! Runtime instruction-set dispatch for the distance kernels.
//!
//! The default build targets baseline x86-64 (SSE2), where the compiler vectorizes the
//! kernels four `f32` lanes wide. With the `simd` feature, [`vectorized`] runs a kernel
//! compiled again with the widest instruction set the CPU reports at run time (AVX2 on
//! x86-64, through the `pulp` crate, which owns the `unsafe` that dispatch needs), so the
//! same loops run eight lanes wide. The arithmetic is unchanged: no operation is fused
//! or reordered (Rust never contracts `a * b + c` into an FMA on its own), so results
//! are bit-identical with and without the feature and on every CPU.

/// Runs `kernel` compiled for the best instruction set available at run time.
///
/// The kernel must be a closure marked `#[inline(always)]` calling `#[inline(always)]`
/// functions: code that is not inlined into the dispatching function is compiled for
/// the baseline only (a closure with a loop body is otherwise kept out of line, and the
/// dispatch gains nothing).
#[inline(always)]
pub(crate) fn vectorized<R>(kernel: impl FnOnce() -> R) -> R {
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    if let Some(v3) = pulp::x86::V3::try_new() {
        return pulp::Simd::vectorize(v3, kernel);
    }
    #[cfg(all(feature = "simd", not(target_arch = "x86_64")))]
    return pulp::Arch::new().dispatch(kernel);
    #[allow(unreachable_code)]
    kernel()
}

/// [`vectorized`], allowing AVX-512 on x86-64.
#[inline(always)]
pub(crate) fn vectorized_wide<R>(kernel: impl FnOnce() -> R) -> R {
    #[cfg(all(feature = "simd", target_arch = "x86_64"))]
    if let Some(v4) = pulp::x86::V4::try_new() {
        return pulp::Simd::vectorize(v4, kernel);
    }
    vectorized(kernel)
}
