//! The physical side of a shared subquery: [`SharedExec`] and the rule linking its copies.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{internal_err, DataFusionError, Result};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    execute_stream, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use futures::{stream, StreamExt, TryStreamExt};
use parking_lot::Mutex;
use tokio::sync::OnceCell;

/// What the first copy to run found.
enum Outcome {
    /// The input's batches, and their reservation in the memory pool (never read: it frees
    /// the memory when the plan is dropped).
    Kept(Arc<Vec<RecordBatch>>, #[allow(dead_code)] MemoryReservation),
    /// Too big for the memory pool: each copy computes its own input, the first from where
    /// it stopped (see [`SharedState::rest`]).
    TooBig,
    Failed(Arc<DataFusionError>),
}

/// What the first copy had read when memory ran short: its input (which cannot run twice),
/// the batches so far and the rest of the stream.
type Rest = (
    Arc<dyn ExecutionPlan>,
    Vec<RecordBatch>,
    SendableRecordBatchStream,
);

/// The state the copies of one shared subquery have in common.
#[derive(Default)]
struct SharedState {
    outcome: OnceCell<Outcome>,
    rest: Mutex<Option<Rest>>,
}

impl fmt::Debug for SharedState {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("SharedState")
    }
}

/// One copy of a shared subquery: one output partition holding its input's rows.
#[derive(Debug)]
pub(crate) struct SharedExec {
    id: usize,
    input: Arc<dyn ExecutionPlan>,
    state: Arc<SharedState>,
    props: Arc<PlanProperties>,
}

impl SharedExec {
    pub(crate) fn new(id: usize, input: Arc<dyn ExecutionPlan>) -> Self {
        Self::with_state(id, input, Arc::default())
    }

    fn with_state(id: usize, input: Arc<dyn ExecutionPlan>, state: Arc<SharedState>) -> Self {
        let props = PlanProperties::new(
            EquivalenceProperties::new(input.schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        SharedExec {
            id,
            input,
            state,
            props: Arc::new(props),
        }
    }
}

/// Runs `input` to the end, keeping its batches while the memory pool allows.
async fn compute(
    input: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
    rest: &Mutex<Option<Rest>>,
) -> Outcome {
    let reservation = MemoryConsumer::new("SharedResult").register(context.memory_pool());
    let mut batches = Vec::new();
    let mut rows = match execute_stream(Arc::clone(&input), context) {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(Arc::new(e)),
    };
    while let Some(batch) = rows.next().await {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => return Outcome::Failed(Arc::new(e)),
        };
        let size = batch.get_array_memory_size();
        batches.push(batch);
        if reservation.try_grow(size).is_err() {
            *rest.lock() = Some((input, batches, rows));
            return Outcome::TooBig;
        }
    }
    Outcome::Kept(Arc::new(batches), reservation)
}

/// The rows of a copy whose shared result was too big: the first copy's from where it
/// stopped, any other's from its own input.
fn own_rows(
    state: &SharedState,
    input: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
) -> Result<SendableRecordBatchStream> {
    let mine = state
        .rest
        .lock()
        .take_if(|(first, _, _)| Arc::ptr_eq(first, &input));
    match mine {
        Some((_, done, rows)) => {
            let schema = rows.schema();
            let all = stream::iter(done.into_iter().map(Ok)).chain(rows);
            Ok(Box::pin(RecordBatchStreamAdapter::new(schema, all)))
        }
        None => execute_stream(input, context),
    }
}

impl DisplayAs for SharedExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "SharedResultExec: id={}", self.id)
    }
}

impl ExecutionPlan for SharedExec {
    fn name(&self) -> &str {
        "SharedResultExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.props
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(SharedExec::with_state(
            self.id,
            crate::only_one(children, "SharedResultExec")?,
            Arc::clone(&self.state),
        )))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("SharedResultExec has no partition {partition}");
        }
        let (state, input) = (Arc::clone(&self.state), Arc::clone(&self.input));
        let rows = async move {
            let outcome = state
                .outcome
                .get_or_init(|| compute(Arc::clone(&input), Arc::clone(&context), &state.rest))
                .await;
            Ok(match outcome {
                Outcome::Kept(batches, _) => {
                    let batches = Arc::clone(batches);
                    stream::iter((0..batches.len()).map(move |i| Ok(batches[i].clone()))).boxed()
                }
                Outcome::TooBig => own_rows(&state, input, context)?.boxed(),
                Outcome::Failed(e) => return Err(DataFusionError::Shared(Arc::clone(e))),
            })
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.input.schema(),
            stream::once(rows).try_flatten(),
        )))
    }
}

/// Gives the copies of each shared subquery in a physical plan one fresh [`SharedState`].
/// It runs per physical plan, so a prepared statement executed again computes again.
#[derive(Debug)]
pub(crate) struct LinkShared;

impl PhysicalOptimizerRule for LinkShared {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut states: HashMap<usize, Arc<SharedState>> = HashMap::new();
        Ok(plan
            .transform_up(|node| {
                let Some(shared) = node.downcast_ref::<SharedExec>() else {
                    return Ok(Transformed::no(node));
                };
                let state = states.entry(shared.id).or_default();
                Ok(Transformed::yes(Arc::new(SharedExec::with_state(
                    shared.id,
                    Arc::clone(&shared.input),
                    Arc::clone(state),
                ))))
            })?
            .data)
    }

    fn name(&self) -> &str {
        "link_shared_results"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, RecordBatch};
    use std::sync::atomic::{AtomicBool, Ordering};

    use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
    use datafusion::execution::memory_pool::GreedyMemoryPool;
    use datafusion::execution::runtime_env::RuntimeEnvBuilder;
    use datafusion::physical_plan::common::collect;
    use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

    use super::*;

    /// Five batches of 1000 rows, which can be read once: a second execution fails, as a
    /// repartitioned plan's would.
    #[derive(Debug)]
    struct ReadOnce {
        schema: SchemaRef,
        read: AtomicBool,
    }

    impl PartitionStream for ReadOnce {
        fn schema(&self) -> &SchemaRef {
            &self.schema
        }

        fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
            let again = self.read.swap(true, Ordering::SeqCst);
            let schema = Arc::clone(&self.schema);
            let batches = (0..5i64).map(move |i| {
                if again {
                    return internal_err!("read twice");
                }
                let values = Int64Array::from(vec![i; 1000]);
                Ok(RecordBatch::try_new(
                    Arc::clone(&schema),
                    vec![Arc::new(values)],
                )?)
            });
            Box::pin(RecordBatchStreamAdapter::new(
                Arc::clone(&self.schema),
                stream::iter(batches),
            ))
        }
    }

    fn rows() -> Arc<dyn ExecutionPlan> {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let once = Arc::new(ReadOnce {
            schema: Arc::clone(&schema),
            read: AtomicBool::new(false),
        });
        Arc::new(
            StreamingTableExec::try_new(schema, vec![once], None, vec![], false, None).unwrap(),
        )
    }

    fn task(pool_bytes: usize) -> Arc<TaskContext> {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(GreedyMemoryPool::new(pool_bytes)))
            .build_arc()
            .unwrap();
        Arc::new(TaskContext::default().with_runtime(runtime))
    }

    fn count(batches: &[RecordBatch]) -> usize {
        batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Two linked copies over inputs of 5 batches; returns each copy's rows and whether the
    /// result was kept.
    async fn run_pair(pool_bytes: usize) -> (usize, usize, bool) {
        let plan = datafusion::physical_plan::union::UnionExec::try_new(vec![
            Arc::new(SharedExec::new(7, rows())),
            Arc::new(SharedExec::new(7, rows())),
        ])
        .unwrap();
        let plan = LinkShared.optimize(plan, &ConfigOptions::new()).unwrap();
        let copies: Vec<_> = plan.children().into_iter().cloned().collect();
        let ctx = task(pool_bytes);
        let first = collect(copies[0].execute(0, Arc::clone(&ctx)).unwrap())
            .await
            .unwrap();
        let second = collect(copies[1].execute(0, ctx).unwrap()).await.unwrap();
        let state = &copies[0].downcast_ref::<SharedExec>().unwrap().state;
        let kept = matches!(state.outcome.get(), Some(Outcome::Kept(..)));
        (count(&first), count(&second), kept)
    }

    #[tokio::test]
    async fn copies_replay_one_result_or_compute_their_own_when_memory_is_short() {
        assert_eq!(run_pair(64 << 20).await, (5000, 5000, true));
        // Room for two of the five batches: the first copy goes on from where it stopped,
        // the second reads its own input; neither loses or repeats a row.
        assert_eq!(run_pair(20_000).await, (5000, 5000, false));
    }
}
