//! The one authorisation check. Every service calls [`check`] before it reads or changes anything
//! on someone's behalf; pages only hide what this would refuse anyway.

use crate::domain::{Role, RoleSet};
use crate::requests::kind::Visibility;
use crate::token_scope::{Scope, Scopes};
use serde::{Deserialize, Serialize};

/// Who is acting: a signed-in person and the roles they hold now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: i64,
    /// The roles it acts with: for a token, only those its scopes carry.
    pub roles: RoleSet,
    /// Set when acting through an API token: what the token may do.
    #[serde(default)]
    pub token: Option<Scopes>,
}

impl Actor {
    /// A person acting in their own browser session, with every role they hold.
    pub fn person(user_id: i64, roles: RoleSet) -> Actor {
        Actor {
            user_id,
            roles,
            token: None,
        }
    }

    /// A person acting through a token with `scopes`.
    pub fn through_token(user_id: i64, owner_roles: &RoleSet, scopes: Scopes) -> Actor {
        Actor {
            user_id,
            roles: scopes.roles_of(owner_roles),
            token: Some(scopes),
        }
    }
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
    /// Map a person to the Unix account their workloads run as.
    MapUnixAccount,
    /// Sessions and access tokens of one's own account.
    ManageAccount,
    /// Ask for a workspace, storage or web service for a project.
    RequestResource,
    /// See a request or resource and its history.
    ViewResource,
    /// Stop, start, extend, retry or remove a resource.
    OperateResource,
    /// Change and send again a request sent back for changes: it stays the requester's request,
    /// so operators (who decide it) may not.
    ReviseRequest,
    /// Reach a running resource through the proxy.
    UseResource,
    /// Approve, reject or ask for changes to a request.
    DecideRequest,
    /// Change the catalogue, quotas and hardware, decide the queue's fate.
    Operate,
    /// See capacity, the queue, the audit trail, the catalogue's policies and what awaits a
    /// decision.
    ViewOperations,
    /// Start an application to bring data into the Campus network.
    StartAcquisition,
    /// See an application, its review and its decision path.
    ViewAcquisition,
    /// Fill in, submit or withdraw an application (while it is the applicant's to change).
    EditAcquisition,
    /// Review an application: data control, ethics, the final decision.
    ReviewAcquisition,
    /// See the queue of applications under review.
    ListReviews,
    /// Browse the dataset catalogue.
    ListDatasets,
    /// Grant projects access to a dataset, and revoke it.
    ManageGrants,
    /// Write, preview, publish and withdraw a project's public page.
    EditShowcase,
    /// Read a course and its materials.
    ViewCourse,
    /// Start a new course (the actor becomes its owner).
    CreateCourse,
    /// Change a course's pages and attachments.
    EditCourse,
    /// Book accelerator time for a project.
    BookAccelerators,
    /// Move or cancel a booking.
    ChangeBooking,
    /// See which accelerator time is booked, and by which project.
    ViewBookings,
    /// Ask for a web service to be checked for release, send it again after changes, or
    /// withdraw the request.
    AskOutputCheck,
    /// See an output check: what was submitted, the decisions and comments.
    ViewOutputCheck,
    /// See the queue of output checks waiting for checkers.
    ListOutputChecks,
    /// Approve, ask for changes to or reject an output check.
    DecideOutputCheck,
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
    /// One request or resource, seen from the actor's position in its project.
    Resource {
        requester_id: i64,
        project_lead_id: i64,
        actor_is_member: bool,
        visibility: Visibility,
    },
    /// One data acquisition, seen from the actor's position on it.
    Acquisition {
        applicant_id: i64,
        actor_is_collaborator: bool,
    },
    /// One course of training materials.
    Course { owner_id: i64, public: bool },
    /// One accelerator booking.
    Booking {
        booked_by: i64,
        project_lead_id: i64,
    },
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
impl Action {
    /// Whether it changes anything (a token needs the `write` scope for it).
    pub fn changes(self) -> bool {
        !matches!(
            self,
            Action::ListProjects
                | Action::ViewProject
                | Action::ListUsers
                | Action::ViewResource
                | Action::UseResource
                | Action::ViewAcquisition
                | Action::ListReviews
                | Action::ListDatasets
                | Action::ViewCourse
                | Action::ViewOperations
                | Action::ViewBookings
                | Action::ViewOutputCheck
                | Action::ListOutputChecks
        )
    }
}

/// The one authorisation check. Through a token, a change needs its `write` scope and a refusal
/// names the token's scopes, as they may be why.
pub fn check(actor: Option<&Actor>, action: Action, object: Object) -> Result<(), Denied> {
    let Some(scopes) = actor.and_then(|a| a.token) else {
        return decide(actor, action, object);
    };
    if action.changes() && !scopes.has(Scope::Write) {
        return Err(Denied::Forbidden(format!(
            "this token cannot make changes: it lacks the write scope (its scopes: {scopes})"
        )));
    }
    decide(actor, action, object).map_err(|d| match d {
        Denied::Forbidden(why) => {
            Denied::Forbidden(format!("{why} (this token's scopes: {scopes})"))
        }
        other => other,
    })
}

fn decide(actor: Option<&Actor>, action: Action, object: Object) -> Result<(), Denied> {
    // Published web services and public courses are what anonymous visitors may reach.
    if let (
        Action::UseResource,
        Object::Resource {
            visibility: Visibility::Public,
            ..
        },
    )
    | (Action::ViewCourse, Object::Course { public: true, .. }) = (action, object)
    {
        return Ok(());
    }
    let Some(actor) = actor else {
        return Err(Denied::NotSignedIn);
    };
    let roles = &actor.roles;
    let admin = roles.has(Role::Admin);
    let operator = roles.has(Role::Operator) || admin;
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
        (Action::ManageRoles, Object::Portal) => {
            if admin {
                Ok(())
            } else {
                forbid("only administrators can manage users and roles")
            }
        }
        // Operators run the hardware, so they say whose Unix account is whose; they see the
        // people list to do so, but only administrators change roles.
        (Action::ListUsers | Action::MapUnixAccount, Object::Portal) => {
            if admin || actor.roles.has(Role::Operator) {
                Ok(())
            } else {
                forbid("only operators and administrators can manage people's accounts")
            }
        }
        (Action::ManageAccount, Object::User { id }) => {
            if id == actor.user_id {
                Ok(())
            } else {
                forbid("you can only manage your own account")
            }
        }
        (
            Action::RequestResource | Action::BookAccelerators,
            Object::Project {
                lead_id,
                actor_is_member,
            },
        ) => {
            let member = actor_is_member || lead_id == actor.user_id;
            if (roles.has(Role::Staff) && member) || admin {
                Ok(())
            } else if !member {
                forbid("only members of the project can ask for resources for it")
            } else {
                forbid("only staff members can ask for resources")
            }
        }
        (
            Action::ViewResource,
            Object::Resource {
                requester_id,
                project_lead_id,
                actor_is_member,
                ..
            },
        ) => {
            if requester_id == actor.user_id
                || project_lead_id == actor.user_id
                || actor_is_member
                || operator
            {
                Ok(())
            } else {
                forbid("only the project's members and operators can see its resources")
            }
        }
        (
            Action::OperateResource,
            Object::Resource {
                requester_id,
                project_lead_id,
                ..
            },
        ) => {
            if requester_id == actor.user_id || project_lead_id == actor.user_id || operator {
                Ok(())
            } else {
                forbid("only the person who asked for it, the project lead or an operator can change it")
            }
        }
        (
            Action::ReviseRequest,
            Object::Resource {
                requester_id,
                project_lead_id,
                ..
            },
        ) => {
            if requester_id == actor.user_id || project_lead_id == actor.user_id {
                Ok(())
            } else {
                forbid(
                    "only the person who asked for it or the project lead can change and resend it",
                )
            }
        }
        (
            Action::UseResource,
            Object::Resource {
                requester_id,
                actor_is_member,
                visibility,
                ..
            },
        ) => {
            let allowed = match visibility {
                Visibility::Private => requester_id == actor.user_id,
                Visibility::Project => requester_id == actor.user_id || actor_is_member,
                Visibility::Staff | Visibility::Public => {
                    roles.is_internal() || requester_id == actor.user_id || actor_is_member
                }
            };
            if allowed {
                Ok(())
            } else {
                forbid(match visibility {
                    Visibility::Private => "only the person who asked for it can open it",
                    Visibility::Project => "only members of its project can open it",
                    _ => "only staff can open it",
                })
            }
        }
        (Action::DecideRequest, Object::Resource { .. })
        | (Action::Operate | Action::ViewOperations, Object::Portal) => {
            if operator {
                Ok(())
            } else {
                forbid("only operators can do this")
            }
        }
        (Action::StartAcquisition, Object::Portal) => {
            if roles.has(Role::Staff) || admin {
                Ok(())
            } else {
                forbid("only staff members can apply to bring data in")
            }
        }
        (
            Action::ChangeBooking,
            Object::Booking {
                booked_by,
                project_lead_id,
            },
        ) => {
            if booked_by == actor.user_id || project_lead_id == actor.user_id || operator {
                Ok(())
            } else {
                forbid("only the person who booked it, the project lead or an operator can change a booking")
            }
        }
        (Action::ViewBookings, Object::Portal) => {
            if roles.is_internal() {
                Ok(())
            } else {
                forbid("only Campus staff can see accelerator bookings")
            }
        }
        (Action::ListDatasets, Object::Portal) => {
            if roles.is_internal() {
                Ok(())
            } else {
                forbid("only Campus staff can browse the dataset catalogue")
            }
        }
        (Action::ManageGrants, Object::Portal) => {
            if roles.has(Role::Reviewer) || admin {
                Ok(())
            } else {
                forbid("only data control reviewers and administrators can grant or revoke access to data")
            }
        }
        (
            Action::AskOutputCheck,
            Object::Resource {
                requester_id,
                project_lead_id,
                ..
            },
        ) => {
            if requester_id == actor.user_id || project_lead_id == actor.user_id {
                Ok(())
            } else {
                forbid("only the person who asked for it or the project lead can ask for its outputs to be checked")
            }
        }
        (
            Action::ViewOutputCheck,
            Object::Resource {
                requester_id,
                project_lead_id,
                actor_is_member,
                ..
            },
        ) => {
            if requester_id == actor.user_id
                || project_lead_id == actor.user_id
                || actor_is_member
                || roles.has(Role::OutputChecker)
                || operator
            {
                Ok(())
            } else {
                forbid("only the project's members, output checkers and operators can see its output checks")
            }
        }
        (Action::ListOutputChecks, Object::Portal) => {
            if roles.has(Role::OutputChecker) {
                Ok(())
            } else {
                forbid("only output checkers can see the output-check queue")
            }
        }
        (
            Action::DecideOutputCheck,
            Object::Resource {
                requester_id,
                project_lead_id,
                actor_is_member,
                ..
            },
        ) => {
            if requester_id == actor.user_id || project_lead_id == actor.user_id || actor_is_member
            {
                forbid("you are on this project: an output checker from outside it must decide")
            } else if roles.has(Role::OutputChecker) {
                Ok(())
            } else {
                forbid("only output checkers can decide output checks")
            }
        }
        (Action::ListReviews, Object::Portal) => {
            if roles.has(Role::Reviewer) {
                Ok(())
            } else {
                forbid("only reviewers can see the review queue")
            }
        }
        (
            Action::ViewAcquisition,
            Object::Acquisition {
                applicant_id,
                actor_is_collaborator,
            },
        ) => {
            if applicant_id == actor.user_id
                || actor_is_collaborator
                || roles.has(Role::Reviewer)
                || admin
            {
                Ok(())
            } else {
                forbid("only its applicant, collaborators and reviewers can see an application")
            }
        }
        (
            Action::EditAcquisition,
            Object::Acquisition {
                applicant_id,
                actor_is_collaborator,
            },
        ) => {
            if applicant_id == actor.user_id || actor_is_collaborator {
                Ok(())
            } else {
                forbid("only its applicant and collaborators can change an application")
            }
        }
        (
            Action::ReviewAcquisition,
            Object::Acquisition {
                applicant_id,
                actor_is_collaborator,
            },
        ) => {
            if applicant_id == actor.user_id || actor_is_collaborator {
                forbid("you are an applicant or collaborator on this application: another reviewer must review it")
            } else if roles.has(Role::Reviewer) {
                Ok(())
            } else {
                forbid("only reviewers can review applications")
            }
        }
        (Action::EditShowcase, Object::Project { lead_id, .. }) => {
            if lead_id == actor.user_id || admin {
                Ok(())
            } else {
                forbid("only the project lead or an administrator can change its public page")
            }
        }
        (Action::ViewCourse, Object::Course { owner_id, .. }) => {
            if roles.is_internal() || owner_id == actor.user_id {
                Ok(())
            } else {
                forbid("this course is for Campus staff only")
            }
        }
        (Action::CreateCourse, Object::Portal) => {
            if roles.has(Role::Staff) || admin {
                Ok(())
            } else {
                forbid("only staff members can write courses")
            }
        }
        (Action::EditCourse, Object::Course { owner_id, .. }) => {
            if owner_id == actor.user_id || admin {
                Ok(())
            } else {
                forbid("only the course's owner or an administrator can change it")
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
            Who::Only(r) => Some(Actor::person(ME, RoleSet::new([r]))),
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
    const fn res(requester_id: i64, member: bool, visibility: Visibility) -> Object {
        Object::Resource {
            requester_id,
            project_lead_id: OTHER,
            actor_is_member: member,
            visibility,
        }
    }
    const MINE: Object = res(ME, true, Visibility::Private);
    const TEAM_PRIVATE: Object = res(OTHER, true, Visibility::Private);
    const TEAM_SHARED: Object = res(OTHER, true, Visibility::Project);
    const ELSEWHERE_PRIVATE: Object = res(OTHER, false, Visibility::Private);
    const ELSEWHERE_STAFF: Object = res(OTHER, false, Visibility::Staff);
    const ELSEWHERE_PUBLIC: Object = res(OTHER, false, Visibility::Public);
    const LED_BY_ME: Object = Object::Resource {
        requester_id: OTHER,
        project_lead_id: ME,
        actor_is_member: true,
        visibility: Visibility::Private,
    };
    const SOMEONE: Object = Object::User { id: OTHER };

    use Role::{Admin, Operator, OutputChecker, Partner, Reviewer, Staff};
    use Who::{Anonymous as Anon, Only};

    /// The policy written out case by case: who, what, on which object, allowed?
    /// Denials come first because they are what this table exists to protect.
    const MY_APPLICATION: Object = Object::Acquisition {
        applicant_id: ME,
        actor_is_collaborator: false,
    };
    const COLLABORATING: Object = Object::Acquisition {
        applicant_id: OTHER,
        actor_is_collaborator: true,
    };
    const THEIR_APPLICATION: Object = Object::Acquisition {
        applicant_id: OTHER,
        actor_is_collaborator: false,
    };

    const PUBLIC_COURSE: Object = Object::Course {
        owner_id: OTHER,
        public: true,
    };
    const STAFF_COURSE: Object = Object::Course {
        owner_id: OTHER,
        public: false,
    };
    const MY_COURSE: Object = Object::Course {
        owner_id: ME,
        public: false,
    };

    const BOOKED_BY_ME: Object = Object::Booking {
        booked_by: ME,
        project_lead_id: OTHER,
    };
    const BOOKED_BY_TEAM: Object = Object::Booking {
        booked_by: OTHER,
        project_lead_id: OTHER,
    };
    const BOOKED_IN_MY_PROJECT: Object = Object::Booking {
        booked_by: OTHER,
        project_lead_id: ME,
    };

    #[rustfmt::skip]
    const TABLE: &[(Who, Action, Object, bool)] = &[
        // Public pages: only the lead (or an admin) edits; staff-only courses stay internal.
        (Anon, EditShowcase, LEAD, false),
        (Only(Staff), EditShowcase, MEMBER, false),
        (Only(Operator), EditShowcase, OUTSIDER, false),
        (Only(Staff), EditShowcase, LEAD, true),
        (Only(Admin), EditShowcase, OUTSIDER, true),
        (Anon, ViewCourse, STAFF_COURSE, false),
        (Only(Partner), ViewCourse, STAFF_COURSE, false),
        (Anon, ViewCourse, PUBLIC_COURSE, true),
        (Only(Partner), ViewCourse, PUBLIC_COURSE, true),
        (Only(Staff), ViewCourse, STAFF_COURSE, true),
        (Anon, CreateCourse, Object::Portal, false),
        (Only(Partner), CreateCourse, Object::Portal, false),
        (Only(Reviewer), CreateCourse, Object::Portal, false),
        (Only(Staff), CreateCourse, Object::Portal, true),
        (Anon, EditCourse, PUBLIC_COURSE, false),
        (Only(Staff), EditCourse, STAFF_COURSE, false),
        (Only(Operator), EditCourse, PUBLIC_COURSE, false),
        (Only(Staff), EditCourse, MY_COURSE, true),
        (Only(Admin), EditCourse, STAFF_COURSE, true),
        // Data acquisitions: applicants and collaborators edit; reviewers other than them review.
        (Anon, ViewAcquisition, THEIR_APPLICATION, false),
        (Anon, StartAcquisition, Object::Portal, false),
        (Only(Partner), StartAcquisition, Object::Portal, false),
        (Only(Partner), ViewAcquisition, THEIR_APPLICATION, false),
        (Only(Staff), ViewAcquisition, THEIR_APPLICATION, false),
        (Only(Operator), ViewAcquisition, THEIR_APPLICATION, false),
        (Only(Staff), EditAcquisition, THEIR_APPLICATION, false),
        (Only(Reviewer), EditAcquisition, THEIR_APPLICATION, false),
        (Only(Admin), EditAcquisition, THEIR_APPLICATION, false),
        (Only(Staff), ReviewAcquisition, THEIR_APPLICATION, false),
        (Only(Admin), ReviewAcquisition, THEIR_APPLICATION, false),
        (Only(Reviewer), ReviewAcquisition, MY_APPLICATION, false),
        (Only(Reviewer), ReviewAcquisition, COLLABORATING, false),
        (Only(Staff), ListReviews, Object::Portal, false),
        (Only(Operator), ListReviews, Object::Portal, false),
        (Only(Staff), StartAcquisition, Object::Portal, true),
        (Only(Admin), StartAcquisition, Object::Portal, true),
        (Only(Staff), ViewAcquisition, MY_APPLICATION, true),
        (Only(Partner), ViewAcquisition, COLLABORATING, true),
        (Only(Reviewer), ViewAcquisition, THEIR_APPLICATION, true),
        (Only(Admin), ViewAcquisition, THEIR_APPLICATION, true),
        (Only(Staff), EditAcquisition, MY_APPLICATION, true),
        (Only(Partner), EditAcquisition, COLLABORATING, true),
        (Only(Reviewer), ReviewAcquisition, THEIR_APPLICATION, true),
        (Only(Reviewer), ListReviews, Object::Portal, true),
        // Output checks: the project asks, checkers from outside it decide.
        (Anon, AskOutputCheck, ELSEWHERE_PUBLIC, false),
        (Only(Staff), AskOutputCheck, TEAM_SHARED, false),
        (Only(Operator), AskOutputCheck, ELSEWHERE_PRIVATE, false),
        (Only(OutputChecker), AskOutputCheck, ELSEWHERE_PRIVATE, false),
        (Only(Staff), AskOutputCheck, MINE, true),
        (Only(Staff), AskOutputCheck, LED_BY_ME, true),
        (Anon, ViewOutputCheck, ELSEWHERE_PUBLIC, false),
        (Only(Staff), ViewOutputCheck, ELSEWHERE_STAFF, false),
        (Only(Reviewer), ViewOutputCheck, ELSEWHERE_PRIVATE, false),
        (Only(Partner), ViewOutputCheck, ELSEWHERE_PUBLIC, false),
        (Only(Staff), ViewOutputCheck, TEAM_PRIVATE, true),
        (Only(OutputChecker), ViewOutputCheck, ELSEWHERE_PRIVATE, true),
        (Only(Operator), ViewOutputCheck, ELSEWHERE_PRIVATE, true),
        (Anon, ListOutputChecks, Object::Portal, false),
        (Only(Reviewer), ListOutputChecks, Object::Portal, false),
        (Only(Operator), ListOutputChecks, Object::Portal, false),
        (Only(Admin), ListOutputChecks, Object::Portal, false),
        (Only(OutputChecker), ListOutputChecks, Object::Portal, true),
        (Anon, DecideOutputCheck, ELSEWHERE_PRIVATE, false),
        (Only(OutputChecker), DecideOutputCheck, MINE, false),
        (Only(OutputChecker), DecideOutputCheck, TEAM_SHARED, false),
        (Only(OutputChecker), DecideOutputCheck, LED_BY_ME, false),
        (Only(Reviewer), DecideOutputCheck, ELSEWHERE_PRIVATE, false),
        (Only(Operator), DecideOutputCheck, ELSEWHERE_PRIVATE, false),
        (Only(Admin), DecideOutputCheck, ELSEWHERE_PRIVATE, false),
        (Only(OutputChecker), DecideOutputCheck, ELSEWHERE_PRIVATE, true),
        (Anon, ListDatasets, Object::Portal, false),
        (Only(Partner), ListDatasets, Object::Portal, false),
        (Only(Staff), ListDatasets, Object::Portal, true),
        (Only(Operator), ListDatasets, Object::Portal, true),
        (Only(Staff), ManageGrants, Object::Portal, false),
        (Only(Operator), ManageGrants, Object::Portal, false),
        (Only(Partner), ManageGrants, Object::Portal, false),
        (Only(Reviewer), ManageGrants, Object::Portal, true),
        (Only(Admin), ManageGrants, Object::Portal, true),
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
        // Operators and admins map Unix accounts; operators see people but not change roles.
        (Only(Operator), ListUsers, Object::Portal, true),
        (Only(Operator), MapUnixAccount, Object::Portal, true),
        (Only(Admin), MapUnixAccount, Object::Portal, true),
        (Only(Staff), MapUnixAccount, Object::Portal, false),
        (Only(Reviewer), MapUnixAccount, Object::Portal, false),
        (Only(Partner), MapUnixAccount, Object::Portal, false),
        (Anon, MapUnixAccount, Object::Portal, false),
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
        // Resources: anonymous visitors reach only published services and change nothing.
        (Anon, UseResource, ELSEWHERE_PUBLIC, true),
        (Anon, UseResource, ELSEWHERE_STAFF, false),
        (Anon, ViewResource, ELSEWHERE_PUBLIC, false),
        (Anon, RequestResource, LEAD, false),
        (Anon, DecideRequest, ELSEWHERE_PUBLIC, false),
        // Asking for resources: staff members of the project only.
        (Only(Staff), RequestResource, OUTSIDER, false),
        (Only(Partner), RequestResource, MEMBER, false),
        (Only(Operator), RequestResource, OUTSIDER, false),
        (Only(Staff), RequestResource, MEMBER, true),
        (Only(Staff), RequestResource, LEAD, true),
        (Only(Admin), RequestResource, OUTSIDER, true),
        // Seeing one: its project's members and operators.
        (Only(Staff), ViewResource, ELSEWHERE_PRIVATE, false),
        (Only(Reviewer), ViewResource, ELSEWHERE_PRIVATE, false),
        (Only(Staff), ViewResource, TEAM_PRIVATE, true),
        (Only(Partner), ViewResource, TEAM_PRIVATE, true),
        (Only(Operator), ViewResource, ELSEWHERE_PRIVATE, true),
        // Changing one: whoever asked, the project lead, operators.
        (Only(Staff), OperateResource, TEAM_SHARED, false),
        (Only(Staff), OperateResource, ELSEWHERE_PRIVATE, false),
        (Only(Staff), OperateResource, MINE, true),
        (Only(Staff), OperateResource, LED_BY_ME, true),
        (Only(Operator), OperateResource, ELSEWHERE_PRIVATE, true),
        // Resending a request sent back: whoever asked and the project lead, not its deciders.
        (Only(Staff), ReviseRequest, MINE, true),
        (Only(Staff), ReviseRequest, LED_BY_ME, true),
        (Only(Staff), ReviseRequest, TEAM_SHARED, false),
        (Only(Operator), ReviseRequest, ELSEWHERE_PRIVATE, false),
        (Only(Admin), ReviseRequest, ELSEWHERE_PRIVATE, false),
        // Reaching one through the proxy follows its visibility, not the viewer's rank.
        (Only(Operator), UseResource, ELSEWHERE_PRIVATE, false),
        (Only(Admin), UseResource, TEAM_PRIVATE, false),
        (Only(Staff), UseResource, TEAM_PRIVATE, false),
        (Only(Staff), UseResource, ELSEWHERE_STAFF, true),
        (Only(Partner), UseResource, ELSEWHERE_STAFF, false),
        (Only(Partner), UseResource, TEAM_SHARED, true),
        (Only(Staff), UseResource, MINE, true),
        (Only(Partner), UseResource, ELSEWHERE_PUBLIC, true),
        // Deciding requests and running the platform: operators and admins only.
        (Only(Staff), DecideRequest, TEAM_SHARED, false),
        (Only(Reviewer), DecideRequest, TEAM_SHARED, false),
        (Only(Staff), Operate, Object::Portal, false),
        (Only(Reviewer), Operate, Object::Portal, false),
        (Only(Staff), ViewOperations, Object::Portal, false),
        (Only(Partner), ViewOperations, Object::Portal, false),
        (Only(Operator), ViewOperations, Object::Portal, true),
        (Only(Admin), ViewOperations, Object::Portal, true),
        (Only(Operator), DecideRequest, TEAM_SHARED, true),
        (Only(Admin), DecideRequest, TEAM_SHARED, true),
        (Only(Operator), Operate, Object::Portal, true),
        // Accelerator bookings: made like requests; moved or cancelled by whoever booked, the
        // project lead or operators; seen by Campus staff.
        (Anon, BookAccelerators, LEAD, false),
        (Only(Staff), BookAccelerators, OUTSIDER, false),
        (Only(Partner), BookAccelerators, MEMBER, false),
        (Only(Operator), BookAccelerators, OUTSIDER, false),
        (Only(Staff), BookAccelerators, MEMBER, true),
        (Anon, ChangeBooking, BOOKED_BY_ME, false),
        (Only(Staff), ChangeBooking, BOOKED_BY_TEAM, false),
        (Only(Reviewer), ChangeBooking, BOOKED_BY_TEAM, false),
        (Only(Staff), ChangeBooking, BOOKED_BY_ME, true),
        (Only(Staff), ChangeBooking, BOOKED_IN_MY_PROJECT, true),
        (Only(Operator), ChangeBooking, BOOKED_BY_TEAM, true),
        (Anon, ViewBookings, Object::Portal, false),
        (Only(Partner), ViewBookings, Object::Portal, false),
        (Only(Staff), ViewBookings, Object::Portal, true),
        (Only(Reviewer), ViewBookings, Object::Portal, true),
        (Only(Staff), ChangeBooking, Object::Portal, false),
        // Actions on the wrong kind of object are refused.
        (Only(Operator), Operate, MINE, false),
        (Only(Operator), DecideRequest, Object::Portal, false),
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
        let both = Actor::person(ME, RoleSet::new([Partner, Staff]));
        assert!(check(Some(&both), CreateProject, Object::Portal).is_ok());
        assert!(check(Some(&both), ViewProject, OUTSIDER).is_ok());
    }

    #[test]
    fn a_person_without_roles_can_only_manage_their_account() {
        let nobody = Actor::person(ME, RoleSet::default());
        assert!(check(Some(&nobody), ViewProject, OUTSIDER).is_err());
        assert!(check(Some(&nobody), CreateProject, Object::Portal).is_err());
        assert!(check(Some(&nobody), ManageAccount, SELF).is_ok());
    }

    #[test]
    fn a_token_looks_without_write_and_acts_only_with_the_roles_its_scopes_carry() {
        use crate::token_scope::{Scope, Scopes};
        let roles = RoleSet::new([Staff, Operator]);
        let reader = Actor::through_token(ME, &roles, Scopes::new([]));
        assert!(check(Some(&reader), ListProjects, Object::Portal).is_ok());
        match check(Some(&reader), CreateProject, Object::Portal) {
            Err(Denied::Forbidden(why)) => assert!(why.contains("lacks the write scope"), "{why}"),
            other => panic!("{other:?}"),
        }
        let writer = Actor::through_token(ME, &roles, Scopes::new([Scope::Write]));
        assert!(check(Some(&writer), CreateProject, Object::Portal).is_ok());
        match check(Some(&writer), Operate, Object::Portal) {
            Err(Denied::Forbidden(why)) => {
                assert!(why.contains("this token's scopes: read write"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let operator =
            Actor::through_token(ME, &roles, Scopes::new([Scope::Write, Scope::Operate]));
        assert!(check(Some(&operator), Operate, Object::Portal).is_ok());
    }
}
