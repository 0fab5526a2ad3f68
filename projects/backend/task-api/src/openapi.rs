//! The OpenAPI 3.1 document, generated from the handlers' annotations and the types' schemas,
//! served at `/openapi.json`; `/docs` renders it (Scalar).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Portfolio task API", version = "1", description = "System of record of the to-do product. Errors are RFC 9457 problem documents."),
    paths(
        routes::auth::register, routes::auth::login, routes::auth::refresh, routes::auth::logout, routes::auth::me, routes::auth::create_api_key,
        routes::projects::list, routes::projects::create, routes::projects::get, routes::projects::update, routes::projects::delete,
        routes::projects::members, routes::projects::put_member, routes::projects::remove_member,
        routes::projects::tasks, routes::projects::create_task, routes::projects::analytics, routes::kpis::kpis,
        routes::tasks::get, routes::tasks::update, routes::tasks::delete,
        routes::flags::list,
        crate::hub::get,
    ),
    modifiers(&Bearer),
    tags(
        (name = "auth", description = "Accounts, sessions and API keys"),
        (name = "projects", description = "Projects and their analytics"),
        (name = "members", description = "Who may see and change a project"),
        (name = "tasks", description = "Tasks, with ETags and cursor pagination"),
        (name = "counters", description = "Shared live counters (the WebSocket hub at `/v1/projects/{id}/counters/{name}/live`) and read-only live figures"),
        (name = "flags", description = "Feature flags of this environment, for the web app"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or pk_ API key")
                    .build(),
            ),
        );
    }
}
