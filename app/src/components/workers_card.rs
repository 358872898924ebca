//! The workers (Settings page): each background worker's phase — running, restarting, failed,
//! stopped —, how often it restarted and why it last stopped, read again every five seconds;
//! a failed worker can be started again, a running one restarted.

use std::time::Duration;

use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::{WorkerPhase, WorkerState};

use crate::api::workers::{list_workers, restart_worker};

const REFRESH_EVERY: Duration = Duration::from_secs(5);

#[component]
pub fn WorkersCard(initial: Vec<WorkerState>) -> impl IntoView {
    let workers = RwSignal::new(initial);
    let message = RwSignal::new(None::<String>);
    let refresh = move || {
        leptos::task::spawn_local(async move {
            match list_workers().await {
                Ok(found) => workers.set(found),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(refresh, REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let restart = Callback::new(move |name: String| {
        leptos::task::spawn_local(async move {
            match restart_worker(name.clone()).await {
                Ok(()) => {
                    message.set(Some(format!("The {name} worker is starting again.")));
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    });
    view! {
        <section class="card" data-testid="workers-card">
            <header class="card-head">
                <h2>"Workers"</h2>
                <span class="muted small">"Background work, restarted with back-off when it stops"</span>
            </header>
            <div class="table-wrap">
                <table class="quotes workers">
                    <thead>
                        <tr>
                            <th scope="col">"Worker"</th>
                            <th scope="col">"State"</th>
                            <th scope="col" class="num">"Restarts"</th>
                            <th scope="col" class="wide">"Last error"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || workers.get()
                            key=|w| (w.name.clone(), w.phase, w.restarts, w.since_ms, w.note.clone())
                            children=move |w| view! { <WorkerRow worker=w restart/> }
                        />
                    </tbody>
                </table>
            </div>
            {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="workers-message">{m}</p> })}
        </section>
    }
    .into_any()
}

#[component]
fn WorkerRow(worker: WorkerState, restart: Callback<String>) -> impl IntoView {
    let phase = worker.phase.label();
    let class = match worker.phase {
        WorkerPhase::Running => "health ok",
        WorkerPhase::Standby | WorkerPhase::Restarting | WorkerPhase::Stopped => "health",
        WorkerPhase::Paused => "health warn",
        WorkerPhase::Failed => "health down",
    };
    let name = worker.name.clone();
    let action = if worker.phase == WorkerPhase::Failed {
        "Start again"
    } else {
        "Restart"
    };
    view! {
        <tr data-testid="worker-row" data-worker=worker.name.clone() data-phase=phase>
            <td>{worker.name.clone()}</td>
            <td>
                <span class=class data-testid="worker-phase">{phase}</span>
                <span class="muted small">{format!(" since {} IST", ist_clock(worker.since_ms))}</span>
            </td>
            <td class="num">{worker.restarts}</td>
            <td class="wide small">
                {worker.note.clone().map(|n| view! { <span data-testid="worker-note">{n}" "</span> })}
                {worker.last_error.clone().unwrap_or_else(|| "—".to_owned())}
            </td>
            <td>
                <button type="button" class="button subtle" data-testid="restart-worker"
                    on:click=move |_| restart.run(name.clone())>{action}</button>
            </td>
        </tr>
    }
    .into_any()
}
