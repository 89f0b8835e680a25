//! CrystalFramer models as a `screen` predictor stage: a model directory (`model.safetensors`,
//! `config.json`, `metadata.json`) named in a script (`s.predict("perovskite-eform")`) adds one
//! field per target, with the unit from the metadata; an ensemble also adds `<target>_std`,
//! the spread of its members' predictions in the same unit.

use crate::checkpoint::{CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE};
use crate::geometry::CrystalInput;
use screen_engine::candidate::{Candidate, Rejection, Value};
use screen_engine::plugin::{Column, Plugin, Predictor as PredictorStage, Registry};
use std::path::Path;
use std::sync::Arc;

/// Registers the model loader for CrystalFramer / Crystalformer model directories.
pub struct CrystalFramerPlugin;

impl Plugin for CrystalFramerPlugin {
    fn build(&self, registry: &mut Registry) {
        registry.add_model_loader(|dir| {
            let single = dir.join(WEIGHTS_FILE).is_file() && dir.join(CONFIG_FILE).is_file();
            if !(single || is_ensemble(dir)) {
                return None;
            }
            Some(ModelStage::load(dir).map(|m| Arc::new(m) as Arc<dyn PredictorStage>))
        });
    }
}

/// Whether `dir` holds an ensemble's metadata (a `members` list).
fn is_ensemble(dir: &Path) -> bool {
    crate::Metadata::from_file(&dir.join(METADATA_FILE)).is_ok_and(|m| !m.members.is_empty())
}

/// A loaded model as a pipeline stage.
pub struct ModelStage {
    name: String,
    predictor: crate::Predictor,
    /// One per target, then (for an ensemble) one spread per target.
    columns: Vec<Column>,
}

impl ModelStage {
    pub fn load(dir: &Path) -> Result<ModelStage, String> {
        let predictor = crate::Predictor::from_dir(dir).map_err(|e| e.to_string())?;
        let name = dir.file_name().map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into_owned());
        let targets = &predictor.metadata().targets;
        let unit = |t: &crate::Target| Some(t.unit.as_str()).filter(|u| !u.is_empty()).map(String::from);
        let mut columns: Vec<Column> = targets.iter().map(|t| Column::new(t.name.clone(), unit(t).as_deref())).collect();
        if predictor.members().len() > 1 {
            columns.extend(targets.iter().map(|t| Column::new(format!("{}_std", t.name), unit(t).as_deref())));
        }
        Ok(ModelStage { name, predictor, columns })
    }
}

/// The shortest decimal that reads back as the same f32, as an f64 (so CSVs show `-1.2345`,
/// not `-1.2345000505447388`).
fn widen(x: f32) -> f64 {
    format!("{x}").parse().unwrap_or(f64::from(x))
}

impl PredictorStage for ModelStage {
    fn name(&self) -> String {
        format!("predict {}", self.name)
    }

    fn columns(&self) -> Vec<Column> {
        self.columns.clone()
    }

    fn predict(&self, batch: &mut [Candidate]) -> Vec<Result<(), Rejection>> {
        let inputs: Vec<CrystalInput> = batch.iter().map(|c| CrystalInput::from_crystal(&c.crystal)).collect();
        let results = self.predictor.predict_each(&inputs);
        batch
            .iter_mut()
            .zip(results)
            .map(|(c, r)| match r {
                Ok(estimate) => {
                    let values = estimate.mean.into_iter().chain(estimate.std.into_iter().flatten());
                    for (col, v) in self.columns.iter().zip(values) {
                        if !v.is_finite() {
                            return Err(Rejection::new("prediction not finite").with_detail(format!("{} = {v}", col.name)));
                        }
                        c.fields.set(col.name.clone(), Value::Float(widen(v)), col.unit.as_deref());
                    }
                    Ok(())
                }
                Err(e) => Err(Rejection::new("model cannot take this crystal").with_detail(e.to_string())),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_widening() {
        assert_eq!(widen(-1.2345), -1.2345);
        assert_eq!(widen(0.1).to_string(), "0.1");
    }

    #[test]
    fn an_ensemble_is_a_stage_with_spread_columns() {
        // A single network shipped in the repository (a member of perovskite-gap), twice.
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
        let shipped = models.join("perovskite-gap/members/crystalformer-seed123");
        let dir = std::env::temp_dir().join(format!("screen-ensemble-stage-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for member in ["a", "b"] {
            std::fs::create_dir_all(dir.join(member)).unwrap();
            for f in [CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE] {
                std::fs::copy(shipped.join(f), dir.join(member).join(f)).unwrap();
            }
        }
        let card = serde_json::json!({"targets": [{"name": "gap_gllbsc", "unit": "eV"}], "members": ["a", "b"]});
        std::fs::write(dir.join(METADATA_FILE), card.to_string()).unwrap();
        let mut r = Registry::new();
        r.add_plugin(&CrystalFramerPlugin);
        let columns: Vec<(String, Option<String>)> = r.model(&dir).unwrap().columns().into_iter().map(|c| (c.name, c.unit)).collect();
        let unit = Some("eV".to_string());
        assert_eq!(columns, [("gap_gllbsc".to_string(), unit.clone()), ("gap_gllbsc_std".to_string(), unit)]);
        let single = r.model(&shipped).unwrap().columns();
        assert_eq!(single.len(), 1);
        assert_eq!(r.model(&models.join("perovskite-gap")).unwrap().columns().len(), 2, "the shipped ensemble");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn loader_ignores_directories_without_a_model() {
        let mut r = Registry::new();
        r.add_plugin(&CrystalFramerPlugin);
        let e = r.model(Path::new(env!("CARGO_MANIFEST_DIR"))).err().unwrap();
        assert!(e.contains("no model loader recognises"), "{e}");
    }
}
