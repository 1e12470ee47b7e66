//! patronage on an Apache Ballista cluster: plan codecs that carry patronage's
//! functions *with their parameters* from the client to the scheduler and on to the
//! executors.
//!
//! DataFusion serializes a plan's user-defined functions by name, and a Ballista
//! scheduler or executor looks the name up in its own function registry. patronage's
//! functions carry parameters (the summary's observation end and time unit, a fitted
//! model), so [`PatronageLogicalCodec`] and [`PatronagePhysicalCodec`] write them into
//! the plan ([`patronage_datafusion::wire`]) and rebuild, validated, the same functions
//! on the other side; everything else is left to Ballista's own codecs, which they
//! wrap. Install both in the client's session config
//! ([`ballista::prelude::SessionConfigExt`]), the scheduler's
//! `SchedulerConfig::override_logical_codec` / `override_physical_codec` and the
//! executors' `ExecutorProcessConfig::override_logical_codec` /
//! `override_physical_codec` ([`scheduler_config`], [`executor_config`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::catalog::TableProvider;
use datafusion::common::{Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{
    AggregateUDF, Extension, HigherOrderUDF, LogicalPlan, ScalarUDF, WindowUDF,
};
use datafusion::physical_expr_common::physical_expr::proto_decode::PhysicalExprDecodeCtx;
use datafusion::physical_expr_common::physical_expr::proto_encode::PhysicalExprEncodeCtx;
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use patronage_datafusion::wire;

/// The prefix of a patronage function's bytes in a plan, telling them from what the
/// wrapped codec writes.
pub const MAGIC: &[u8] = b"patronage\0";

fn encode_udf(node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<bool> {
    Ok(match wire::encode_udf(node)? {
        Some(bytes) => {
            buf.extend_from_slice(MAGIC);
            buf.extend_from_slice(&bytes);
            true
        }
        None => false,
    })
}

fn encode_udaf(node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<bool> {
    Ok(match wire::encode_udaf(node)? {
        Some(bytes) => {
            buf.extend_from_slice(MAGIC);
            buf.extend_from_slice(&bytes);
            true
        }
        None => false,
    })
}

/// A [`LogicalExtensionCodec`] that writes patronage's functions with their parameters
/// and leaves everything else to a wrapped codec (Ballista's by default).
#[derive(Debug, Clone)]
pub struct PatronageLogicalCodec {
    inner: Arc<dyn LogicalExtensionCodec>,
}

impl PatronageLogicalCodec {
    /// Wraps `inner`, the codec of everything but patronage's functions.
    pub fn new(inner: Arc<dyn LogicalExtensionCodec>) -> Self {
        Self { inner }
    }
}

impl Default for PatronageLogicalCodec {
    /// Wraps Ballista's logical codec.
    fn default() -> Self {
        Self::new(Arc::new(BallistaLogicalExtensionCodec::default()))
    }
}

impl LogicalExtensionCodec for PatronageLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: datafusion::arrow::datatypes::SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.inner
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        match buf.strip_prefix(MAGIC) {
            Some(bytes) => Ok(Arc::new(wire::decode_udf(name, bytes)?)),
            None => self.inner.try_decode_udf(name, buf),
        }
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_udf(node, buf)? {
            Ok(())
        } else {
            self.inner.try_encode_udf(node, buf)
        }
    }

    fn try_decode_higher_order_function(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<HigherOrderUDF>> {
        self.inner.try_decode_higher_order_function(name, buf)
    }

    fn try_encode_higher_order_function(
        &self,
        node: &HigherOrderUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_higher_order_function(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        match buf.strip_prefix(MAGIC) {
            Some(bytes) => Ok(Arc::new(wire::decode_udaf(name, bytes)?)),
            None => self.inner.try_decode_udaf(name, buf),
        }
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_udaf(node, buf)? {
            Ok(())
        } else {
            self.inner.try_encode_udaf(node, buf)
        }
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// A [`PhysicalExtensionCodec`] that writes patronage's functions with their
/// parameters and leaves everything else to a wrapped codec (Ballista's by default).
#[derive(Debug, Clone)]
pub struct PatronagePhysicalCodec {
    inner: Arc<dyn PhysicalExtensionCodec>,
}

impl PatronagePhysicalCodec {
    /// Wraps `inner`, the codec of everything but patronage's functions.
    pub fn new(inner: Arc<dyn PhysicalExtensionCodec>) -> Self {
        Self { inner }
    }
}

impl Default for PatronagePhysicalCodec {
    /// Wraps Ballista's physical codec.
    fn default() -> Self {
        Self::new(Arc::new(BallistaPhysicalExtensionCodec::default()))
    }
}

impl PhysicalExtensionCodec for PatronagePhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.inner.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        match buf.strip_prefix(MAGIC) {
            Some(bytes) => Ok(Arc::new(wire::decode_udf(name, bytes)?)),
            None => self.inner.try_decode_udf(name, buf),
        }
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_udf(node, buf)? {
            Ok(())
        } else {
            self.inner.try_encode_udf(node, buf)
        }
    }

    fn try_decode_higher_order_function(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<HigherOrderUDF>> {
        self.inner.try_decode_higher_order_function(name, buf)
    }

    fn try_encode_higher_order_function(
        &self,
        node: &HigherOrderUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_higher_order_function(node, buf)
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        self.inner.try_decode_expr(buf, inputs, ctx)
    }

    fn try_encode_expr(
        &self,
        node: &Arc<dyn PhysicalExpr>,
        buf: &mut Vec<u8>,
        ctx: &PhysicalExprEncodeCtx<'_>,
    ) -> Result<()> {
        self.inner.try_encode_expr(node, buf, ctx)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        match buf.strip_prefix(MAGIC) {
            Some(bytes) => Ok(Arc::new(wire::decode_udaf(name, bytes)?)),
            None => self.inner.try_decode_udaf(name, buf),
        }
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_udaf(node, buf)? {
            Ok(())
        } else {
            self.inner.try_encode_udaf(node, buf)
        }
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}
