//! One helper for what every card does with an operation: mark the page
//! busy, show progress, run it, announce how it ended (or the failure),
//! clear the progress bar and, where it changed data, reload the overview.

use std::future::Future;

use coffer_protocol::{Msg, WaitReason};
use leptos::prelude::*;

use super::Ctx;
use crate::client::api::ApiResult;
use crate::client::{EngineClient, Progress};
use crate::state::{Stage, TaskState};

/// A task's progress line (`None`: no task).
pub type TaskProgress = RwSignal<Option<TaskState>>;

/// Turns a call's progress into the card's progress line, and says in the
/// status line what it waits for.
#[derive(Clone, Copy)]
pub struct Tracker {
    ctx: Ctx,
    progress: Option<TaskProgress>,
}

impl Tracker {
    /// The progress callback for an API call.
    pub fn callback(self) -> impl FnMut(Progress) + Clone + 'static {
        move |p| self.hear(p)
    }

    fn hear(self, p: Progress) {
        match p {
            Progress::Step(phase, info) => {
                if let Some(line) = self.progress {
                    line.set(Some(TaskState {
                        stage: Stage::Phase(phase),
                        progress: info,
                    }));
                }
                // The other tab is done: drop the "waiting" announcement.
                if self
                    .ctx
                    .status
                    .with_untracked(|m| matches!(m, Msg::Waiting(WaitReason::OtherTab)))
                {
                    self.ctx.announce(Msg::None);
                }
            }
            Progress::Waiting(reason) => {
                if let Some(line) = self.progress {
                    line.set(Some(TaskState {
                        stage: Stage::Waiting,
                        ..TaskState::starting()
                    }));
                }
                self.ctx.announce(Msg::Waiting(reason));
            }
        }
    }
}

/// An operation of a card, set up with the builder methods and started
/// with [`Task::spawn`].
pub struct Task {
    ctx: Ctx,
    progress: Option<TaskProgress>,
    busy: bool,
    refresh: bool,
}

impl Task {
    /// A task that marks the page busy while it runs.
    pub fn new(ctx: Ctx) -> Self {
        Task {
            ctx,
            progress: None,
            busy: true,
            refresh: false,
        }
    }

    /// Shows its progress in `line`.
    pub fn progress(mut self, line: TaskProgress) -> Self {
        self.progress = Some(line);
        self
    }

    /// Leaves the other cards usable while it runs (checking a file).
    pub fn not_busy(mut self) -> Self {
        self.busy = false;
        self
    }

    /// Reloads the overview when it ends.
    pub fn refresh(mut self) -> Self {
        self.refresh = true;
        self
    }

    /// Runs `work` with the engine and a progress tracker; announces the
    /// message it resolves to, or its failure.
    pub fn spawn<F, Fut>(self, work: F)
    where
        F: FnOnce(EngineClient, Tracker) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Msg>> + 'static,
    {
        let Task {
            ctx,
            progress,
            busy,
            refresh,
        } = self;
        if busy {
            ctx.busy.set(true);
        }
        if let Some(line) = progress {
            line.set(Some(TaskState::starting()));
        }
        let engine = ctx.engine.get_value();
        let tracker = Tracker { ctx, progress };
        leptos::task::spawn_local(async move {
            let r = work(engine, tracker).await;
            if busy {
                ctx.busy.set(false);
            }
            if let Some(line) = progress {
                line.set(None);
            }
            match r {
                Ok(Msg::None) => {}
                Ok(m) => ctx.announce(m),
                Err(f) => ctx.fail(f),
            }
            if refresh {
                ctx.refresh();
            }
        });
    }
}
