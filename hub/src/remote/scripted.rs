//! A scripted [`Exec`] for unit tests: each command gets the next answer the
//! test queued, and every command is recorded, so a test can assert both
//! what would have reached the host and what the hub made of the answers.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use homelabcmd_core::packs::apply_script::RemoteStep;
use homelabcmd_ssh::{BoxFuture, ExecOutput};

use super::executor::{Exec, ExecError, PackScript, Wait};

/// A command the double was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// A check script ([`Exec::run_script`]).
    Script {
        server_id: String,
        audit_action: &'static str,
        label: String,
        body: String,
        actor: String,
        wait: Wait,
    },
    /// An apply or removal step ([`Exec::run_step`]).
    Step {
        server_id: String,
        audit_action: &'static str,
        actor: String,
        step: RemoteStep,
    },
}

/// Answers commands from a queue, in order; a command with no answer left
/// panics, naming it.
pub struct ScriptedExec {
    answers: Mutex<VecDeque<Result<ExecOutput, ExecError>>>,
    calls: Mutex<Vec<Call>>,
}

/// Exit status `code` with this stdout and stderr.
pub fn output(code: i32, stdout: impl Into<Vec<u8>>, stderr: &str) -> ExecOutput {
    ExecOutput {
        exit_code: Some(code),
        signal: None,
        stdout: stdout.into(),
        stdout_truncated: false,
        stderr: stderr.as_bytes().to_vec(),
        stderr_truncated: false,
        duration: Duration::from_millis(5),
    }
}

/// Exit status 0 with this stdout.
pub fn ok(stdout: impl Into<Vec<u8>>) -> ExecOutput {
    output(0, stdout, "")
}

impl ScriptedExec {
    pub fn new(answers: impl IntoIterator<Item = Result<ExecOutput, ExecError>>) -> Self {
        Self {
            answers: Mutex::new(answers.into_iter().collect()),
            calls: Mutex::default(),
        }
    }

    /// Every command so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Answers not used (a test expecting every one used checks for 0).
    pub fn unused(&self) -> usize {
        self.answers.lock().unwrap().len()
    }

    fn answer(&self, call: Call) -> Result<ExecOutput, ExecError> {
        let next = self.answers.lock().unwrap().pop_front();
        let answer = next.unwrap_or_else(|| panic!("no answer scripted for {call:?}"));
        self.calls.lock().unwrap().push(call);
        answer
    }
}

impl Exec for ScriptedExec {
    fn run_script<'a>(
        &'a self,
        server_id: &'a str,
        script: &'a PackScript,
        actor: &'a str,
        wait: Wait,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>> {
        let answer = self.answer(Call::Script {
            server_id: server_id.into(),
            audit_action: script.audit_action,
            label: script.label.clone(),
            body: script.body.clone(),
            actor: actor.into(),
            wait,
        });
        Box::pin(async move { answer })
    }

    fn run_step<'a>(
        &'a self,
        server_id: &'a str,
        step: &'a RemoteStep,
        audit_action: &'static str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>> {
        let answer = self.answer(Call::Step {
            server_id: server_id.into(),
            audit_action,
            actor: actor.into(),
            step: step.clone(),
        });
        Box::pin(async move { answer })
    }
}
