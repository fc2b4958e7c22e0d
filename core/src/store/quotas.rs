//! Per-project quotas. A project without a row gets [`DEFAULT`].

use super::inventory::get_u32;
use crate::db::Db;
use crate::requests::quota::Amounts;
use sqlx::AnyConnection;

/// What a new project may hold until an operator says otherwise.
pub const DEFAULT: Amounts = Amounts {
    cpu_cores: 16,
    ram_gb: 64,
    gpus: 0,
    storage_gb: 500,
    workspaces: 4,
    datasets: 2,
    web_services: 2,
};

pub async fn get(db: &Db, project_id: i64) -> Result<Amounts, sqlx::Error> {
    let row = sqlx::query(
        "SELECT cpu_cores, ram_gb, gpus, storage_gb, workspaces, datasets, web_services \
         FROM project_quotas WHERE project_id = $1",
    )
    .bind(project_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(DEFAULT) };
    Ok(Amounts {
        cpu_cores: get_u32(&r, "cpu_cores")?,
        ram_gb: get_u32(&r, "ram_gb")?,
        gpus: get_u32(&r, "gpus")?,
        storage_gb: get_u32(&r, "storage_gb")?,
        workspaces: get_u32(&r, "workspaces")?,
        datasets: get_u32(&r, "datasets")?,
        web_services: get_u32(&r, "web_services")?,
    })
}

pub async fn set(
    conn: &mut AnyConnection,
    project_id: i64,
    q: &Amounts,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO project_quotas (project_id, cpu_cores, ram_gb, gpus, storage_gb, workspaces, datasets, web_services) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (project_id) DO UPDATE SET cpu_cores = excluded.cpu_cores, ram_gb = excluded.ram_gb, \
         gpus = excluded.gpus, storage_gb = excluded.storage_gb, workspaces = excluded.workspaces, \
         datasets = excluded.datasets, web_services = excluded.web_services",
    )
    .bind(project_id)
    .bind(i64::from(q.cpu_cores))
    .bind(i64::from(q.ram_gb))
    .bind(i64::from(q.gpus))
    .bind(i64::from(q.storage_gb))
    .bind(i64::from(q.workspaces))
    .bind(i64::from(q.datasets))
    .bind(i64::from(q.web_services))
    .execute(&mut *conn)
    .await
    .map(|_| ())
}
