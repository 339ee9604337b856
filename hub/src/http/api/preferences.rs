//! Dashboard preferences and per-machine widget layouts.

use axum::Json;
use axum::extract::{Path, State};
use homelabcmd_protocol::api::{
    CardOrderLoadResponse, CardOrderRequest, CardOrderSaveResponse, CollapsedSections,
    DashboardPreferences, DeleteStatus, ErrorResponse, HttpValidationError, LayoutItem, SaveStatus,
    SavedAtResponse, SectionCardOrder, StatusResponse, ViewMode, WidgetLayoutRequest,
    WidgetLayoutResponse, WidgetLayouts,
};

use crate::db::{self, opt_dt, to_dt};
use crate::error::{ApiError, ApiResult};
use crate::http::validate::{ApiJson, Checker, Validate};
use crate::settings::{CARD_ORDER_KEY, DASHBOARD_KEY};
use crate::state::AppState;

fn empty_dashboard() -> DashboardPreferences {
    DashboardPreferences {
        card_order: SectionCardOrder::default(),
        collapsed_sections: Vec::new(),
        view_mode: ViewMode::Grid.into(),
        updated_at: None,
    }
}

async fn load_dashboard(state: &AppState) -> ApiResult<DashboardPreferences> {
    Ok(
        db::settings::get::<DashboardPreferences>(&state.db, DASHBOARD_KEY)
            .await?
            .map(|s| DashboardPreferences {
                updated_at: Some(to_dt(s.updated_at)),
                ..s.value
            })
            .unwrap_or_else(empty_dashboard),
    )
}

async fn save_dashboard(state: &AppState, mut prefs: DashboardPreferences) -> ApiResult<i64> {
    prefs.updated_at = None;
    Ok(db::settings::put(&state.db, DASHBOARD_KEY, &prefs).await?)
}

fn saved(at: i64) -> Json<CardOrderSaveResponse> {
    Json(CardOrderSaveResponse {
        status: SaveStatus::Saved,
        timestamp: to_dt(at),
    })
}

/// Saved order of machine cards.
#[utoipa::path(get, path = "/preferences/card-order", tag = "Preferences",
    responses((status = 200, body = CardOrderLoadResponse)))]
pub async fn get_card_order(
    State(state): State<AppState>,
) -> ApiResult<Json<CardOrderLoadResponse>> {
    let order = db::settings::get::<Vec<String>>(&state.db, CARD_ORDER_KEY)
        .await?
        .map(|s| s.value)
        .unwrap_or_default();
    Ok(Json(CardOrderLoadResponse { order }))
}

/// Save the order of machine cards.
#[utoipa::path(put, path = "/preferences/card-order", tag = "Preferences",
    request_body = CardOrderRequest,
    responses((status = 200, body = CardOrderSaveResponse), (status = 422, body = HttpValidationError)))]
pub async fn put_card_order(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CardOrderRequest>,
) -> ApiResult<Json<CardOrderSaveResponse>> {
    Ok(saved(
        db::settings::put(&state.db, CARD_ORDER_KEY, &body.order).await?,
    ))
}

/// Card order per dashboard section.
#[utoipa::path(get, path = "/preferences/section-order", tag = "Preferences",
    responses((status = 200, body = SectionCardOrder)))]
pub async fn get_section_order(State(state): State<AppState>) -> ApiResult<Json<SectionCardOrder>> {
    Ok(Json(load_dashboard(&state).await?.card_order))
}

/// Save the card order per section.
#[utoipa::path(put, path = "/preferences/section-order", tag = "Preferences",
    request_body = SectionCardOrder,
    responses((status = 200, body = CardOrderSaveResponse), (status = 422, body = HttpValidationError)))]
pub async fn put_section_order(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SectionCardOrder>,
) -> ApiResult<Json<CardOrderSaveResponse>> {
    let mut prefs = load_dashboard(&state).await?;
    prefs.card_order = body;
    Ok(saved(save_dashboard(&state, prefs).await?))
}

/// Collapsed dashboard sections.
#[utoipa::path(get, path = "/preferences/collapsed-sections", tag = "Preferences",
    responses((status = 200, body = CollapsedSections)))]
pub async fn get_collapsed_sections(
    State(state): State<AppState>,
) -> ApiResult<Json<CollapsedSections>> {
    Ok(Json(CollapsedSections {
        collapsed: load_dashboard(&state).await?.collapsed_sections,
    }))
}

/// Save the collapsed sections.
#[utoipa::path(put, path = "/preferences/collapsed-sections", tag = "Preferences",
    request_body = CollapsedSections,
    responses((status = 200, body = CardOrderSaveResponse), (status = 422, body = HttpValidationError)))]
pub async fn put_collapsed_sections(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CollapsedSections>,
) -> ApiResult<Json<CardOrderSaveResponse>> {
    let mut prefs = load_dashboard(&state).await?;
    prefs.collapsed_sections = body.collapsed;
    Ok(saved(save_dashboard(&state, prefs).await?))
}

/// All dashboard preferences.
#[utoipa::path(get, path = "/preferences/dashboard", tag = "Preferences",
    responses((status = 200, body = DashboardPreferences)))]
pub async fn get_dashboard(State(state): State<AppState>) -> ApiResult<Json<DashboardPreferences>> {
    Ok(Json(load_dashboard(&state).await?))
}

/// Save all dashboard preferences.
#[utoipa::path(put, path = "/preferences/dashboard", tag = "Preferences",
    request_body = DashboardPreferences,
    responses((status = 200, body = SavedAtResponse), (status = 422, body = HttpValidationError)))]
pub async fn put_dashboard(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<DashboardPreferences>,
) -> ApiResult<Json<SavedAtResponse>> {
    let at = save_dashboard(&state, body).await?;
    Ok(Json(SavedAtResponse {
        status: SaveStatus::Saved,
        updated_at: to_dt(at),
    }))
}

async fn ensure_machine(state: &AppState, id: &str) -> ApiResult<()> {
    if db::servers::exists(&state.db, id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("Machine", id))
    }
}

/// A machine's widget layout (null when the default is in use).
#[utoipa::path(get, path = "/machines/{machine_id}/layout", tag = "Preferences",
    params(("machine_id" = String, Path)),
    responses((status = 200, body = WidgetLayoutResponse), (status = 404, body = ErrorResponse)))]
pub async fn get_layout(
    State(state): State<AppState>,
    Path(machine_id): Path<String>,
) -> ApiResult<Json<WidgetLayoutResponse>> {
    ensure_machine(&state, &machine_id).await?;
    let stored = db::settings::get_layout(&state.db, &machine_id).await?;
    let (layouts, updated_at) = match stored {
        Some((text, at)) => (serde_json::from_str::<WidgetLayouts>(&text).ok(), Some(at)),
        None => (None, None),
    };
    Ok(Json(WidgetLayoutResponse {
        updated_at: layouts.as_ref().and(opt_dt(updated_at)),
        layouts,
    }))
}

/// Save a machine's widget layout.
#[utoipa::path(put, path = "/machines/{machine_id}/layout", tag = "Preferences",
    params(("machine_id" = String, Path)), request_body = WidgetLayoutRequest,
    responses((status = 200, body = SavedAtResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub async fn put_layout(
    State(state): State<AppState>,
    Path(machine_id): Path<String>,
    ApiJson(body): ApiJson<WidgetLayoutRequest>,
) -> ApiResult<Json<SavedAtResponse>> {
    ensure_machine(&state, &machine_id).await?;
    let text = serde_json::to_string(&body.layouts).map_err(|e| ApiError::Internal(e.into()))?;
    let at = db::settings::put_layout(&state.db, &machine_id, &text).await?;
    Ok(Json(SavedAtResponse {
        status: SaveStatus::Saved,
        updated_at: to_dt(at),
    }))
}

/// Reset a machine's widget layout to the default.
#[utoipa::path(delete, path = "/machines/{machine_id}/layout", tag = "Preferences",
    params(("machine_id" = String, Path)),
    responses((status = 200, body = StatusResponse), (status = 404, body = ErrorResponse)))]
pub async fn delete_layout(
    State(state): State<AppState>,
    Path(machine_id): Path<String>,
) -> ApiResult<Json<StatusResponse>> {
    ensure_machine(&state, &machine_id).await?;
    db::settings::delete_layout(&state.db, &machine_id).await?;
    Ok(Json(StatusResponse {
        status: DeleteStatus::Deleted,
    }))
}

/// Preference lists are short; cap them so a bad client cannot store megabytes.
fn check_list(c: &mut Checker, field: &str, items: &[String]) {
    if items.len() > 1_000 {
        c.fail(field, "List should have at most 1000 items", "too_long");
    }
    for (i, item) in items.iter().enumerate() {
        c.nested(field, |c| c.len(&i.to_string(), item, 1, 255));
    }
}

impl Validate for CardOrderRequest {
    fn validate(&self, c: &mut Checker) {
        check_list(c, "order", &self.order);
    }
}

impl Validate for SectionCardOrder {
    fn validate(&self, c: &mut Checker) {
        check_list(c, "servers", &self.servers);
        check_list(c, "workstations", &self.workstations);
    }
}

impl Validate for CollapsedSections {
    fn validate(&self, c: &mut Checker) {
        check_list(c, "collapsed", &self.collapsed);
    }
}

impl Validate for DashboardPreferences {
    fn validate(&self, c: &mut Checker) {
        c.nested("card_order", |c| self.card_order.validate(c));
        check_list(c, "collapsed_sections", &self.collapsed_sections);
        c.known("view_mode", Some(&self.view_mode), ViewMode::ALL);
    }
}

impl Validate for WidgetLayoutRequest {
    fn validate(&self, c: &mut Checker) {
        c.nested("layouts", |c| {
            for (name, items) in [
                ("lg", &self.layouts.lg),
                ("md", &self.layouts.md),
                ("sm", &self.layouts.sm),
                ("xs", &self.layouts.xs),
            ] {
                c.each(name, Some(items.as_slice()));
            }
        });
    }
}

impl Validate for LayoutItem {
    fn validate(&self, c: &mut Checker) {
        c.len("i", &self.i, 1, 100);
        c.range_i64("x", Some(self.x), 0, Some(1_000));
        c.range_i64("y", Some(self.y), 0, Some(10_000));
        c.range_i64("w", Some(self.w), 1, Some(1_000));
        c.range_i64("h", Some(self.h), 1, Some(1_000));
        c.range_i64("minW", self.min_w, 1, None);
        c.range_i64("minH", self.min_h, 1, None);
        c.range_i64("maxW", self.max_w, 1, None);
        c.range_i64("maxH", self.max_h, 1, None);
    }
}
