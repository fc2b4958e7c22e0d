use crate::api::get_current_user;
use crate::components::layout::Notice;
use crate::components::ons::LinkButton;
use leptos::prelude::*;
use leptos_meta::Title;

/// What the portal offers, for each kind of person who uses it.
#[component]
pub fn HomePage() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    view! {
        <Title text="Home"/>
        <Notice/>
        <h1 class="ons-u-fs-3xl">"Campus Portal"</h1>
        <p class="ons-u-fs-l">
            "Self-service access to the Data Science Campus network: workspaces, tools and non-sensitive "
            "datasets for your projects, without filing a ticket."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await.ok().flatten() {
                    Some(u) => view! {
                        <p>"You are signed in as "<strong>{u.display_name.clone()}</strong>"."</p>
                        <LinkButton text="Go to your projects" href="/projects".into()/>
                    }.into_any(),
                    None => view! {
                        <LinkButton text="Sign in" href="/sign-in".into()/>
                    }.into_any(),
                }
            })}
        </Suspense>
        <h2 class="ons-u-mt-2xl">"Who the portal is for"</h2>
        <div class="ons-grid">
            <section class="ons-grid__col ons-col-6@m ons-u-mb-l" aria-labelledby="for-staff">
                <h3 id="for-staff">"Staff"</h3>
                <p>"Start a project, add your team, and request JupyterLab, RStudio, VS Code, Spark or GPU workspaces, storage for datasets and published web services. Watch them being provisioned."</p>
            </section>
            <section class="ons-grid__col ons-col-6@m ons-u-mb-l" aria-labelledby="for-reviewers">
                <h3 id="for-reviewers">"Reviewers"</h3>
                <p>"Walk data acquisitions through planned acquisition, data control and ethics review, and approve, reject or ask for changes."</p>
            </section>
            <section class="ons-grid__col ons-col-6@m ons-u-mb-l" aria-labelledby="for-operators">
                <h3 id="for-operators">"Operators"</h3>
                <p>"See the hardware in both data centres, its capacity, and what runs where."</p>
            </section>
            <section class="ons-grid__col ons-col-6@m ons-u-mb-l" aria-labelledby="for-partners">
                <h3 id="for-partners">"External partners"</h3>
                <p>"See the projects you collaborate on, and — without an account — "<a href="/showcase" rel="external">"the projects showcase"</a>" and "<a href="/training" rel="external">"training materials"</a>"."</p>
            </section>
        </div>
    }
}
