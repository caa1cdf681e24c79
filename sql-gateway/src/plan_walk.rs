//! One helper the physical rules share for rewriting a plan node's children.

use std::sync::Arc;

use datafusion::common::tree_node::Transformed;
use datafusion::common::Result;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::ExecutionPlan;

/// `plan` with each child replaced by `f(index, child)`; unchanged (and not rebuilt) when no
/// child changed.
pub(crate) fn map_children(
    plan: Arc<dyn ExecutionPlan>,
    mut f: impl FnMut(usize, Arc<dyn ExecutionPlan>) -> Result<Transformed<Arc<dyn ExecutionPlan>>>,
) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    let mut changed = false;
    let mut children = Vec::new();
    for (i, child) in plan.children().into_iter().enumerate() {
        let new = f(i, Arc::clone(child))?;
        changed |= new.transformed;
        children.push(new.data);
    }
    if !changed {
        return Ok(Transformed::no(plan));
    }
    Ok(Transformed::yes(replace_children_if_necessary(
        plan, children,
    )?))
}
