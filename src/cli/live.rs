//! The terminal as a run goes, in the manner of cargo-nextest: the header
//! once the target is known, one line per case as it finishes (or in plan
//! order, for logs that must not depend on timing), a progress bar under
//! them on a terminal, then the findings and the verdict.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use crate::report::model::{CaseResult, RunReport, Target};
use crate::report::{sanitize, terminal};

/// When a case's line is printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// As each case finishes.
    #[default]
    Finished,
    /// In the order of the plan (stable logs): a line waits for the earlier ones.
    Planned,
}

pub struct Live {
    opts: terminal::Options,
    order: Order,
    to_stderr: bool,
    width: usize,
    bar: indicatif::ProgressBar,
    /// Each planned case id's place in the plan.
    slot: HashMap<String, usize>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    started: bool,
    /// The next plan slot whose line is due (`Order::Planned`).
    next: usize,
    /// Lines finished ahead of their turn, by slot (`None`: not shown).
    waiting: BTreeMap<usize, Option<String>>,
}

impl Live {
    /// `ids`: the planned case ids in plan order.
    pub fn new(ids: &[String], opts: terminal::Options, order: Order, to_stderr: bool) -> Self {
        Live {
            opts,
            order,
            to_stderr,
            width: terminal::id_width(ids.iter().map(String::as_str)),
            bar: super::run::progress_bar(ids.len() as u64, opts.quiet),
            slot: ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect(),
            state: RefCell::default(),
        }
    }

    /// The header, once the target is resolved.
    pub fn start(&self, target: &Target) {
        self.print(&terminal::header(target, self.opts.color));
        self.state.borrow_mut().started = true;
    }

    /// A case finished: its line, now or when its turn comes.
    pub fn case(&self, c: &CaseResult) {
        self.bar.set_message(c.id.clone());
        self.bar.inc(1);
        let clean = sanitize::case_for_text(c);
        let line = terminal::shown(&clean, self.opts)
            .then(|| format!("{}\n", terminal::case_line(&clean, self.opts, self.width)));
        let slot = self.slot.get(&c.id).copied();
        match (self.order, slot) {
            (Order::Planned, Some(slot)) => {
                let due = {
                    let mut guard = self.state.borrow_mut();
                    let st = &mut *guard;
                    st.waiting.insert(slot, line);
                    let mut due = String::new();
                    while let Some(l) = st.waiting.remove(&st.next) {
                        due.push_str(l.as_deref().unwrap_or_default());
                        st.next += 1;
                    }
                    due
                };
                self.print(&due);
            }
            _ => self.print(line.as_deref().unwrap_or_default()),
        }
    }

    /// The run is over: lines still waiting (cases after one a halt kept
    /// from finishing), then the findings and the verdict; the whole report
    /// when the run never started (the target could not be prepared).
    pub fn finish(&self, report: &RunReport) {
        self.bar.finish_and_clear();
        let (started, waiting) = {
            let mut st = self.state.borrow_mut();
            (st.started, std::mem::take(&mut st.waiting))
        };
        let text = match started {
            true => {
                let mut t: String = waiting.into_values().flatten().collect();
                t.push_str(&terminal::tail(report, self.opts));
                t
            }
            false => terminal::render(report, self.opts),
        };
        self.print(&text);
    }

    fn print(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.bar.suspend(|| match self.to_stderr {
            true => eprint!("{text}"),
            false => print!("{text}"),
        });
    }
}
