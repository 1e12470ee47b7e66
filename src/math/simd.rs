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
#[inline(always)]
pub(crate) fn vectorized<R>(kernel: impl FnOnce() -> R) -> R {
    #[cfg(feature = "simd")]
    {
        pulp::Arch::new().dispatch(kernel)
    }
    #[cfg(not(feature = "simd"))]
    {
        kernel()
    }
}
