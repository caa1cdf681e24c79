//! Columns of an ORC scan, by name. datafusion-orc 0.10 returns the file's columns in the
//! file's order, keeping those a scan names, and drops partition columns and any projection
//! pushed into it. [`OrcColumns`] sits on its scan, so the optimizer cannot push projections
//! past it, and builds the table's columns by name (cast to the table's types; NULL where a
//! file predates a column), partition values as constants.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{internal_err, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
    SendableRecordBatchStream,
};
use datafusion::scalar::ScalarValue;
use futures::StreamExt;

/// An ORC scan's batches as `schema`: each column taken from the scan by name, or, for a
/// partition column, its constant value.
#[derive(Debug)]
pub(crate) struct OrcColumns {
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    /// Per column of `schema`: the value of every row, for a partition column.
    constants: Vec<Option<ScalarValue>>,
    props: Arc<PlanProperties>,
}

impl OrcColumns {
    pub(crate) fn new(
        input: Arc<dyn ExecutionPlan>,
        schema: SchemaRef,
        constants: Vec<Option<ScalarValue>>,
    ) -> Self {
        let props = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            input.output_partitioning().clone(),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        OrcColumns {
            input,
            schema,
            constants,
            props: Arc::new(props),
        }
    }
}

fn reshape(
    batch: RecordBatch,
    schema: &SchemaRef,
    constants: &[Option<ScalarValue>],
) -> Result<RecordBatch> {
    let rows = batch.num_rows();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(constants.len());
    for (field, constant) in schema.fields().iter().zip(constants) {
        let column = match constant {
            Some(value) => value.to_array_of_size(rows)?,
            None => match file_column(&batch, field.name()) {
                Some(c) if c.data_type() == field.data_type() => Arc::clone(c),
                Some(c) => cast(c, field.data_type())?,
                // A column added to the table after the file was written.
                None => new_null_array(field.data_type(), rows),
            },
        };
        columns.push(column);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}

/// The file's column `name`, matched exactly, else ignoring case (Hive lower-cases names).
fn file_column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a ArrayRef> {
    batch.column_by_name(name).or_else(|| {
        let schema = batch.schema_ref();
        let i = schema
            .fields()
            .iter()
            .position(|f| f.name().eq_ignore_ascii_case(name))?;
        Some(batch.column(i))
    })
}

impl DisplayAs for OrcColumns {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let partition = self.constants.iter().flatten().map(|v| v.to_string());
        write!(
            f,
            "OrcColumns: partition=[{}]",
            partition.collect::<Vec<_>>().join(", ")
        )
    }
}

impl ExecutionPlan for OrcColumns {
    fn name(&self) -> &str {
        "OrcColumns"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.props
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    /// The scan below yields its file's own types (a timestamp as nanoseconds, an `int` of a
    /// table since altered to `bigint`), not the types it declares, until this node casts
    /// them; an operator placed in between (a repartition) would trust the declaration.
    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
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
        Ok(Arc::new(OrcColumns::new(
            crate::only_one(children, "OrcColumns")?,
            Arc::clone(&self.schema),
            self.constants.clone(),
        )))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition >= self.input.output_partitioning().partition_count() {
            return internal_err!("OrcColumns has no partition {partition}");
        }
        let input = self.input.execute(partition, context)?;
        let (schema, constants) = (Arc::clone(&self.schema), self.constants.clone());
        let out_schema = Arc::clone(&schema);
        let stream = input.map(move |b| reshape(b?, &schema, &constants));
        Ok(Box::pin(RecordBatchStreamAdapter::new(out_schema, stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{AsArray, Int32Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema};

    #[test]
    fn takes_columns_by_name_and_fills_partition_values() {
        let file = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, true),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            file,
            vec![
                Arc::new(Int32Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec!["a", "b"])),
            ],
        )
        .unwrap();
        let out = Arc::new(Schema::new(vec![
            Field::new("day", DataType::Int32, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("id", DataType::Int32, true),
        ]));
        let constants = vec![Some(ScalarValue::Int32(Some(7))), None, None];
        let got = reshape(batch.clone(), &out, &constants).unwrap();
        assert_eq!(got.column(0).as_primitive::<Int32Type>().values(), &[7, 7]);
        assert_eq!(got.column(1).as_string::<i32>().value(1), "b");
        assert_eq!(got.column(2).as_primitive::<Int32Type>().values(), &[1, 2]);
        let empty = Arc::new(Schema::empty());
        assert_eq!(reshape(batch.clone(), &empty, &[]).unwrap().num_rows(), 2);
        let evolved = Arc::new(Schema::new(vec![
            Field::new("ID", DataType::Int64, true),
            Field::new("added_later", DataType::Utf8, true),
        ]));
        let got = reshape(batch, &evolved, &[None, None]).unwrap();
        assert_eq!(got.column(0).as_primitive::<Int64Type>().values(), &[1, 2]);
        assert_eq!(got.column(1).null_count(), 2);
    }
}
