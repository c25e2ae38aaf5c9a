//! E-mail drafts (issue 17, stage 5). A stub until the drafts capability is merged: only `generate`, the call
//! stage 5 of a processing session makes.

pub mod generate;
