//! The generated guest bindings (the SDK's one `generate!`) and the glue between them and
//! the SDK's own types. Only compiled for wasm32.

wit_bindgen::generate!({
    path: "../../wit",
    world: "plugin",
    pub_export_macro: true,
    default_bindings_module: "logsift_sdk::bindings",
    runtime_path: "logsift_sdk::__private::wit_bindgen::rt",
});

/// Conversions the export macro calls.
pub mod glue {
    use super::logsift::plugin::types as wit;
    use crate::{Action, Kind, Metadata, Plugin, Settings, process_batch};

    /// The contract's metadata record for a plugin.
    pub fn describe(meta: &Metadata) -> wit::Metadata {
        wit::Metadata {
            name: meta.name.into(),
            version: meta.version.into(),
            kind: match meta.kind {
                Kind::Parser => wit::PluginKind::Parser,
                Kind::Enricher => wit::PluginKind::Enricher,
                Kind::Detector => wit::PluginKind::Detector,
            },
            description: meta.description.into(),
        }
    }

    /// Parses the settings JSON, builds the plugin and seals the heap `init` leaves behind
    /// (see [`heap`](crate::heap)).
    pub fn init<P: Plugin>(settings: &str) -> Result<P, String> {
        let settings = Settings::from_json(settings)?;
        let plugin = P::init(settings)?;
        crate::heap::seal();
        Ok(plugin)
    }

    /// Runs a batch through the instance, or rejects it all if `init` never succeeded.
    pub fn process<P: Plugin>(plugin: Option<&mut P>, batch: &[u8]) -> wit::BatchResult {
        let Some(plugin) = plugin else {
            let n = logsift_event::Batch::new(batch).count();
            let changes = (0..n as u32)
                .map(|record| wit::Change { record, action: wit::Action::Reject("plugin was not initialised".into()) })
                .collect();
            return wit::BatchResult { changes, events: Vec::new(), alerts: Vec::new(), costs: Vec::new() };
        };
        let out = process_batch(plugin, batch);
        wit::BatchResult {
            changes: out.changes.into_iter().map(|c| wit::Change { record: c.record, action: action(c.action) }).collect(),
            events: out.events,
            alerts: out.alerts,
            costs: out
                .costs
                .into_iter()
                .map(|c| wit::RuleCost { rule_id: c.rule_id, evaluations: c.evaluations, nanos: c.nanos })
                .collect(),
        }
    }

    fn action(action: Action) -> wit::Action {
        match action {
            Action::Replace(n) => wit::Action::Replace(n),
            Action::Update => wit::Action::Update,
            Action::Drop => wit::Action::Drop,
            Action::Emit { output, events } => wit::Action::Emit(wit::Emit { output, events }),
            Action::Reject(reason) => wit::Action::Reject(reason),
        }
    }
}
