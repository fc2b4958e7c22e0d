//! The one authorisation check. Every service calls [`check`] before it reads or changes anything
//! on someone's behalf; pages only hide what this would refuse anyway.

use crate::domain::{Role, RoleSet};
use serde::{Deserialize, Serialize};

/// Who is acting: a signed-in person and the roles they hold now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: i64,
    pub roles: RoleSet,
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the list of projects (each one still filtered by `ViewProject`).
    ListProjects,
    /// See a project's page, members and details.
    ViewProject,
    /// Start a new project (the actor becomes its lead).
    CreateProject,
    /// Add or remove members.
    ManageMembers,
    /// See the list of people and their roles.
    ListUsers,
    /// Grant or withdraw roles.
    ManageRoles,
    /// Sessions and access tokens of one's own account.
    ManageAccount,
}

/// What the action is about, with just the facts the decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// The portal as a whole (creating things, listing users).
    Portal,
    /// One project, seen from the actor's position in it.
    Project { lead_id: i64, actor_is_member: bool },
    /// One account.
    User { id: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Denied {
    #[error("you need to sign in")]
    NotSignedIn,
    #[error("you do not have permission: {0}")]
    Forbidden(String),
}

fn forbid(reason: &str) -> Result<(), Denied> {
    Err(Denied::Forbidden(reason.to_owned()))
}

/// Decides whether `actor` may do `action` on `object`. Anonymous visitors are `None`.
pub fn check(actor: Option<&Actor>, action: Action, object: Object) -> Result<(), Denied> {
    let Some(actor) = actor else {
        return Err(Denied::NotSignedIn);
    };
    let roles = &actor.roles;
    let admin = roles.has(Role::Admin);
    match (action, object) {
        (Action::ListProjects, Object::Portal) => Ok(()),
        (
            Action::ViewProject,
            Object::Project {
                lead_id,
                actor_is_member,
            },
        ) => {
            if roles.is_internal() || lead_id == actor.user_id || actor_is_member {
                Ok(())
            } else {
                forbid("external partners can only see projects they belong to")
            }
        }
        (Action::CreateProject, Object::Portal) => {
            if roles.has(Role::Staff) || admin {
                Ok(())
            } else {
                forbid("only staff members can start projects")
            }
        }
        (Action::ManageMembers, Object::Project { lead_id, .. }) => {
            if lead_id == actor.user_id || admin {
                Ok(())
            } else {
                forbid("only the project lead or an administrator can change members")
            }
        }
        (Action::ListUsers | Action::ManageRoles, Object::Portal) => {
            if admin {
                Ok(())
            } else {
                forbid("only administrators can manage users and roles")
            }
        }
        (Action::ManageAccount, Object::User { id }) => {
            if id == actor.user_id {
                Ok(())
            } else {
                forbid("you can only manage your own account")
            }
        }
        // An action paired with an object it does not apply to is a programming error; refuse it.
        _ => forbid("that action does not apply here"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    const ME: i64 = 1;
    const OTHER: i64 = 2;

    #[derive(Clone, Copy, Debug)]
    enum Who {
        Anonymous,
        Only(Role),
    }

    fn actor(who: Who) -> Option<Actor> {
        match who {
            Who::Anonymous => None,
            Who::Only(r) => Some(Actor {
                user_id: ME,
                roles: RoleSet::new([r]),
            }),
        }
    }

    const LEAD: Object = Object::Project {
        lead_id: ME,
        actor_is_member: true,
    };
    const MEMBER: Object = Object::Project {
        lead_id: OTHER,
        actor_is_member: true,
    };
    const OUTSIDER: Object = Object::Project {
        lead_id: OTHER,
        actor_is_member: false,
    };
    const SELF: Object = Object::User { id: ME };
    const SOMEONE: Object = Object::User { id: OTHER };

    use Role::{Admin, Operator, Partner, Reviewer, Staff};
    use Who::{Anonymous as Anon, Only};

    /// The policy written out case by case: who, what, on which object, allowed?
    /// Denials come first because they are what this table exists to protect.
    #[rustfmt::skip]
    const TABLE: &[(Who, Action, Object, bool)] = &[
        // Anonymous visitors may do nothing here.
        (Anon, ListProjects, Object::Portal, false),
        (Anon, ViewProject, OUTSIDER, false),
        (Anon, CreateProject, Object::Portal, false),
        (Anon, ManageMembers, OUTSIDER, false),
        (Anon, ListUsers, Object::Portal, false),
        (Anon, ManageRoles, Object::Portal, false),
        (Anon, ManageAccount, SELF, false),
        // Partners see only their own projects and cannot start or administer anything.
        (Only(Partner), ViewProject, OUTSIDER, false),
        (Only(Partner), CreateProject, Object::Portal, false),
        (Only(Partner), ManageMembers, MEMBER, false),
        (Only(Partner), ListUsers, Object::Portal, false),
        (Only(Partner), ManageRoles, Object::Portal, false),
        (Only(Partner), ListProjects, Object::Portal, true),
        (Only(Partner), ViewProject, MEMBER, true),
        (Only(Partner), ViewProject, LEAD, true),
        // Members who are not the lead cannot change membership, whatever their role.
        (Only(Staff), ManageMembers, MEMBER, false),
        (Only(Staff), ManageMembers, OUTSIDER, false),
        (Only(Reviewer), ManageMembers, MEMBER, false),
        (Only(Operator), ManageMembers, OUTSIDER, false),
        // Only staff and admins start projects.
        (Only(Reviewer), CreateProject, Object::Portal, false),
        (Only(Operator), CreateProject, Object::Portal, false),
        (Only(Staff), CreateProject, Object::Portal, true),
        (Only(Admin), CreateProject, Object::Portal, true),
        // Only admins manage users and roles.
        (Only(Staff), ListUsers, Object::Portal, false),
        (Only(Reviewer), ManageRoles, Object::Portal, false),
        (Only(Operator), ManageRoles, Object::Portal, false),
        (Only(Admin), ListUsers, Object::Portal, true),
        (Only(Admin), ManageRoles, Object::Portal, true),
        // Nobody manages someone else's account, not even an admin.
        (Only(Admin), ManageAccount, SOMEONE, false),
        (Only(Staff), ManageAccount, SOMEONE, false),
        (Only(Partner), ManageAccount, SELF, true),
        (Only(Staff), ManageAccount, SELF, true),
        // Internal roles see every project.
        (Only(Staff), ListProjects, Object::Portal, true),
        (Only(Staff), ViewProject, OUTSIDER, true),
        (Only(Reviewer), ViewProject, OUTSIDER, true),
        (Only(Operator), ViewProject, OUTSIDER, true),
        (Only(Admin), ViewProject, OUTSIDER, true),
        // Leads and admins manage members.
        (Only(Staff), ManageMembers, LEAD, true),
        (Only(Partner), ManageMembers, LEAD, true),
        (Only(Admin), ManageMembers, OUTSIDER, true),
        // Actions on the wrong kind of object are refused.
        (Only(Admin), CreateProject, OUTSIDER, false),
        (Only(Admin), ManageRoles, SELF, false),
        (Only(Admin), ViewProject, Object::Portal, false),
    ];

    #[test]
    fn role_action_ownership_table() {
        for (who, action, object, allowed) in TABLE {
            let result = check(actor(*who).as_ref(), *action, *object);
            assert_eq!(
                result.is_ok(),
                *allowed,
                "{who:?} {action:?} on {object:?}: got {result:?}"
            );
        }
    }

    #[test]
    fn anonymous_is_told_to_sign_in_not_forbidden() {
        assert_eq!(check(None, ViewProject, OUTSIDER), Err(Denied::NotSignedIn));
    }

    #[test]
    fn roles_combine() {
        let both = Actor {
            user_id: ME,
            roles: RoleSet::new([Partner, Staff]),
        };
        assert!(check(Some(&both), CreateProject, Object::Portal).is_ok());
        assert!(check(Some(&both), ViewProject, OUTSIDER).is_ok());
    }

    #[test]
    fn a_person_without_roles_can_only_manage_their_account() {
        let nobody = Actor {
            user_id: ME,
            roles: RoleSet::default(),
        };
        assert!(check(Some(&nobody), ViewProject, OUTSIDER).is_err());
        assert!(check(Some(&nobody), CreateProject, Object::Portal).is_err());
        assert!(check(Some(&nobody), ManageAccount, SELF).is_ok());
    }
}
