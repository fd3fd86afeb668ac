//! Importing accounts from other systems (Drupal, Django, files): each row is checked as a
//! registration would be, then all are written in one transaction. Password hashes come
//! across as they are and are upgraded to Argon2id at each account's next login.

use std::collections::{BTreeMap, HashMap};

use super::accounts::{
    Violation, check_mail, check_name, check_role, name_fold, normalize_name, unique_key,
};
use super::passwords;
use super::{Core, Error, now};
use crate::store::{ImportCounts, ImportRow, StoreError, UniqueField};

/// What is wrong with one input row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    Invalid(Violation),
    /// The password hash is in no format latch can verify.
    UnknownHash,
    /// The same name (in any letter case or normalisation form) or mail (in any letter case)
    /// appears in an earlier row.
    Duplicate {
        earlier_row: usize,
    },
    /// Another account already uses this mail address.
    MailTaken,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Row `row` (counting from 1) cannot be imported; nothing was.
    #[error("row {row} ({name}): {problem:?}")]
    Row {
        row: usize,
        name: String,
        problem: RowProblem,
    },
    #[error(transparent)]
    Core(#[from] Error),
}

/// Whether rows whose name already exists replace that account or are left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Skip,
    Update,
}

impl Core {
    /// Imports `rows`; with `dry_run` nothing is written, but the counts say what would be.
    /// The first bad row stops the import, which then changes nothing.
    pub async fn import_accounts(
        &self,
        rows: &[ImportRow],
        existing: Existing,
        dry_run: bool,
    ) -> Result<ImportCounts, ImportError> {
        let rows: Vec<ImportRow> = rows
            .iter()
            .map(|row| ImportRow {
                name: normalize_name(&row.name),
                ..row.clone()
            })
            .collect();
        let rows = rows.as_slice();
        let refuse = |index: usize, problem| ImportError::Row {
            row: index + 1,
            name: rows[index].name.clone(),
            problem,
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, row) in rows.iter().enumerate() {
            check_name(&row.name).map_err(|v| refuse(index, RowProblem::Invalid(v)))?;
            if let Some(mail) = &row.mail {
                check_mail(mail).map_err(|v| refuse(index, RowProblem::Invalid(v)))?;
            }
            for role in &row.roles {
                check_role(role).map_err(|v| refuse(index, RowProblem::Invalid(v)))?;
            }
            if let Some(hash) = &row.password_hash
                && !passwords::is_recognised(hash)
            {
                return Err(refuse(index, RowProblem::UnknownHash));
            }
            let keys = std::iter::once(format!("name:{}", name_fold(&row.name)))
                .chain(row.mail.iter().map(|m| format!("mail:{}", unique_key(m))));
            for key in keys {
                if let Some(earlier) = seen.insert(key, index + 1) {
                    return Err(refuse(
                        index,
                        RowProblem::Duplicate {
                            earlier_row: earlier,
                        },
                    ));
                }
            }
        }
        let update = existing == Existing::Update;
        self.store
            .import_accounts(rows, update, !dry_run, now())
            .await
            .map_err(|failure| match failure.error {
                StoreError::Taken(UniqueField::Mail) => {
                    refuse(failure.index, RowProblem::MailTaken)
                }
                StoreError::Taken(UniqueField::Name) => {
                    let name = rows[failure.index].name.clone();
                    refuse(
                        failure.index,
                        RowProblem::Invalid(Violation::NameTaken { name }),
                    )
                }
                other => ImportError::Core(other.into()),
            })
    }

    /// How many accounts store each hash format and cost, and whether it meets the policy.
    pub async fn hash_formats(&self) -> Result<Vec<(String, bool, usize)>, Error> {
        let mut formats: BTreeMap<(String, bool), usize> = BTreeMap::new();
        for hash in self.store.password_hashes().await? {
            *formats
                .entry(self.passwords.describe(hash.as_deref()))
                .or_default() += 1;
        }
        Ok(formats
            .into_iter()
            .map(|((label, current), count)| (label, current, count))
            .collect())
    }
}
