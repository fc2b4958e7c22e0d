//! Demo content for the public side: the six projects the Campus's launch article describes,
//! as published project pages (in our own words), and a course for each training topic. Made
//! through the same services as the pages, by each project's lead.

use campus_core::publishing::showcase::Form;
use campus_core::services::{accounts, showcase, training};
use campus_core::{CoreError, Db};

/// (project name, summary, team, outputs, links, tags, year, description)
type DemoPage = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

pub const PROJECTS: [DemoPage; 6] = [
    (
        "Access to services",
        "How long it takes to reach a GP, a school or a job centre by public transport, measured with the open-source propeR tool.",
        "Sam Staff\nPriya Patel",
        "The propeR R package\nJourney-time maps for three regions",
        "propeR source code | https://github.com/datasciencecampus/proper",
        "transport, accessibility, open source, r",
        "2018",
        "# What we did\n\nWe built **propeR**, an R package that asks an OpenTripPlanner server for door-to-door journeys by public transport and walking, for many origins and destinations at once.\n\n# Why it matters\n\nAccess to services is part of how places differ. Journey times, not straight-line distances, show who is left out.\n\n# Try it\n\nThe published service below plans a journey between two postcodes.",
    ),
    (
        "Household gardens",
        "Estimating how much of Great Britain's land is private gardens, and how green they are, from aerial imagery and mapping.",
        "Priya Patel",
        "Garden extent estimates by local authority",
        "",
        "environment, natural capital, imagery",
        "2019",
        "# Question\n\nGardens are a large part of urban green space, but official land-cover data counts them poorly.\n\n# Method\n\nWe combined building footprints and address points to find private gardens, then measured vegetation in each from aerial images.\n\n# Findings\n\nThe estimates feed the natural capital accounts.",
    ),
    (
        "Emerging trends in patents",
        "Finding technology themes that are growing fast in patent text, with the open-source PyGrams tool.",
        "Priya Patel\nSam Staff",
        "The PyGrams Python package\nA report for the Intellectual Property Office",
        "PyGrams source code | https://github.com/datasciencecampus/pyGrams",
        "natural language processing, patents, open source, python",
        "2018",
        "# What PyGrams does\n\nIt extracts the terms that characterise a set of documents (TF-IDF over n-grams) and follows how often each appears over time, so terms that are emerging stand out from ones that are merely common.\n\n# Uses\n\nPatent examiners and analysts used it to see where technology is heading; it works on any dated text.",
    ),
    (
        "Free-text lists into hierarchies",
        "Turning short free-text descriptions into a tidy hierarchy of labels with the optimus pipeline, so they can be counted and compared.",
        "Sam Staff",
        "The optimus Python package",
        "optimus source code | https://github.com/datasciencecampus/optimus",
        "natural language processing, classification, open source, python",
        "2019",
        "# The problem\n\nSurveys and administrative systems hold lists of short free-text entries (job titles, product names) written many ways.\n\n# The approach\n\n**optimus** embeds each entry with word vectors, clusters similar ones step by step and labels the clusters, giving a hierarchy that an analyst can check and correct.",
    ),
    (
        "Urban forest",
        "Mapping street trees from street-level and aerial imagery to estimate the urban forest's extent and health.",
        "Sam Staff\nPriya Patel",
        "Tree-cover estimates for pilot cities",
        "",
        "environment, computer vision, imagery",
        "2019",
        "# Aim\n\nStreet trees cool cities, clean air and lift wellbeing, but few places know how many they have.\n\n# Method\n\nA neural network trained to find vegetation in street-level images gives a green-view index for every street, checked against aerial imagery.\n\n# What next\n\nThe method is being extended to more cities.",
    ),
    (
        "Rwanda data hub partnership",
        "Working with Rwanda's national statistics institute to set up a data science hub, sharing methods, tools and training.",
        "Sam Staff",
        "Training courses delivered in Kigali\nShared open-source tools",
        "",
        "international, capacity building, training",
        "2019",
        "# Partnership\n\nThe Campus and the National Institute of Statistics of Rwanda worked together on a data science hub: infrastructure, skills and first projects.\n\n# What was shared\n\nCourses in R, Python and machine learning, and the Campus's open-source tools.",
    ),
];

/// (title, topic, summary, public, pages as (title, markdown))
type DemoCourse = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [(&'static str, &'static str)],
);

pub const COURSES: [DemoCourse; 6] = [
    ("Introduction to R", "R", "Data frames, the tidyverse and plots, from a standing start.", true, &[
        ("Getting started", "# RStudio\n\nOpen an RStudio workspace from the catalogue. The console runs code; scripts keep it.\n\n```r\nx <- c(1, 2, 3)\nmean(x)\n```"),
        ("Data frames", "# Reading data\n\n`readr::read_csv()` reads a CSV file into a tibble."),
    ]),
    ("Python for analysts", "Python", "pandas, notebooks and tidy analysis in JupyterLab.", true, &[
        ("Notebooks", "# JupyterLab\n\nEach cell runs on its own; restart the kernel to run everything from the top."),
    ]),
    ("Big data with Spark", "Spark", "Working with data that does not fit in memory, on the Campus Spark service.", false, &[
        ("DataFrames", "# Spark DataFrames\n\nTransformations are lazy; an action such as `count()` runs them."),
    ]),
    ("Git and GitHub", "Git", "Version control for analysts: commits, branches and pull requests.", true, &[]),
    ("Natural language processing", "Natural language processing", "From bags of words to embeddings, with the Campus's text tools.", true, &[
        ("Text as data", "# Tokens\n\nSplitting text into tokens is the first step; PyGrams and optimus both start here."),
    ]),
    ("Machine learning foundations", "Machine learning", "Supervised learning, validation and the traps that make models look better than they are.", true, &[]),
];

/// Seeds the showcase and the courses; `leads` maps each demo project name to its lead's id.
pub async fn seed(db: &Db, admin: i64, sam: i64) -> Result<(), CoreError> {
    let admin = accounts::actor(db, admin).await?;
    for (name, summary, team, outputs, links, tags, year, body) in PROJECTS {
        let project_id = match campus_core::store::projects::list_all(db)
            .await?
            .into_iter()
            .find(|p| p.name == name)
        {
            Some(p) => p.id,
            None => continue,
        };
        let form = Form {
            title: name.into(),
            summary: summary.into(),
            team: team.into(),
            outputs: outputs.into(),
            links: links.into(),
            tags: tags.into(),
            year: year.into(),
            body: body.into(),
        };
        showcase::save_draft(db, admin.as_ref(), project_id, &form).await?;
        showcase::publish(db, admin.as_ref(), project_id).await?;
    }
    let sam = accounts::actor(db, sam).await?;
    for (title, topic, summary, public, pages) in COURSES {
        let url = training::create(
            db,
            sam.as_ref(),
            &training::CourseForm {
                title: title.into(),
                topic: topic.into(),
                summary: summary.into(),
                audience: if public { "public" } else { "staff" }.into(),
            },
        )
        .await?;
        let slug = url.trim_start_matches("/training/");
        for (page_title, body) in pages {
            training::put_page(
                db,
                sam.as_ref(),
                slug,
                None,
                &training::PageForm {
                    title: (*page_title).into(),
                    body: (*body).into(),
                },
            )
            .await?;
        }
    }
    Ok(())
}
