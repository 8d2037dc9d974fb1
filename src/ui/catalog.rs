//! What the vendor's updater shows under a catalog: the one action for the connected
//! product, and whether the new version took (its problems are in `catalog_problem`).

use super::device::{clean, size};
use super::text::{fill, text};
use crate::core::catalog::{Catalog, Channel, Offer, Product, Release, Version};
use crate::core::descriptor::Mode;
use crate::driver::DeviceInfo;
use serde::Serialize;

/// What the page shows for the connected device under a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferView {
    /// `update`, `up-to-date`, `newer`, `install`, `no-release`, `unknown-device`.
    pub kind: &'static str,
    pub title: String,
    /// The product's id in the catalog (empty for an unknown device).
    pub product: String,
    /// The product's name as the page shows it (the device's own for an unknown device).
    pub name: String,
    /// The installed version, where the device tells it.
    pub installed: Option<String>,
    /// The release the main button installs (none: no button).
    pub release: Option<ReleaseView>,
    /// The main button's label ("Update Widget to 1.42").
    pub action: Option<String>,
    /// A second, quieter action ("Reinstall 1.42").
    pub secondary: Option<String>,
    /// More to say (the products this page updates, why there is no button).
    pub details: Vec<String>,
    /// Every release on the channel, newest first, to choose one deliberately.
    pub choices: Vec<ReleaseView>,
}

/// One release as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseView {
    pub version: String,
    pub beta: bool,
    /// "1.42 (beta) · 2026-11-20 · 100 KiB".
    pub label: String,
    pub notes: Option<String>,
    pub date: Option<String>,
    pub size: String,
    /// Installing it would go back to an older version than the device runs.
    pub downgrade: bool,
    /// The alt setting it is written to (none: the device's first).
    pub alt: Option<u8>,
    /// What to say before a downgrade (empty otherwise).
    pub warning: String,
}

fn release_view(
    r: &Release,
    installed: Option<&Version>,
    name: &str,
    languages: &[&str],
) -> ReleaseView {
    let beta = r.channel == Channel::Beta;
    let (version, file_size) = (r.version.as_str(), size(r.size));
    // "1.42 · 20 November 2026 · 100 KiB", with "beta" where it is one; the date only
    // where the catalog gives it.
    let date = r.date.as_deref().map(super::date);
    let key = match (beta, date.is_some()) {
        (false, false) => "catalog.release.label",
        (false, true) => "catalog.release.label.dated",
        (true, false) => "catalog.release.label.beta",
        (true, true) => "catalog.release.label.beta.dated",
    };
    let mut args = vec![("version", version), ("size", file_size.as_str())];
    if let Some(d) = &date {
        args.push(("date", d.as_str()));
    }
    let label = fill(key, &args);
    let downgrade = installed.is_some_and(|i| r.version < *i);
    let warning = match installed {
        Some(i) if downgrade => fill(
            "catalog.release.downgrade",
            &[
                ("name", name),
                ("installed", i.as_str()),
                ("version", version),
            ],
        ),
        _ => String::new(),
    };
    ReleaseView {
        version: r.version.as_str().to_string(),
        beta,
        label,
        notes: r.notes_for(languages).map(str::to_string),
        date: r.date.clone(),
        size: size(r.size),
        downgrade,
        alt: r.alt,
        warning,
    }
}

/// The product's name as the page shows it.
pub fn product_name(p: &Product) -> String {
    clean(&p.name)
}

/// The page's first sentence when it is a vendor's updater.
pub fn catalog_lead(c: &Catalog) -> String {
    let products = c
        .products
        .iter()
        .map(product_name)
        .reduce(|list, name| fill("catalog.lead.or", &[("list", &list), ("name", &name)]))
        .unwrap_or_default();
    fill("catalog.lead", &[("products", &products)])
}

/// The names of the products the catalog updates, for "This page updates …".
fn products_line(c: &Catalog) -> String {
    let products = c
        .products
        .iter()
        .map(product_name)
        .reduce(|list, name| fill("catalog.products.and", &[("list", &list), ("name", &name)]))
        .unwrap_or_default();
    fill(
        "catalog.products",
        &[("vendor", &clean(&c.vendor)), ("products", &products)],
    )
}

impl OfferView {
    /// The one obvious action for `device` under `catalog` on `channel`; `languages`, the
    /// user's preferred languages, choose the release notes.
    pub fn new(
        catalog: &Catalog,
        device: &DeviceInfo,
        channel: Channel,
        languages: &[&str],
    ) -> OfferView {
        let Some(product) = catalog.product_for(device.vendor_id, device.product_id, device.mode)
        else {
            let name = clean(&super::device_name(device));
            return OfferView {
                kind: "unknown-device",
                title: fill("catalog.offer.unknown.title", &[("name", &name)]),
                product: String::new(),
                name: name.clone(),
                installed: None,
                release: None,
                action: None,
                secondary: None,
                details: vec![
                    products_line(catalog),
                    fill(
                        "catalog.offer.unknown.detail",
                        &[
                            ("name", &name),
                            (
                                "usb_id",
                                &format!("{:04x}:{:04x}", device.vendor_id, device.product_id),
                            ),
                        ],
                    ),
                ],
                choices: Vec::new(),
            };
        };
        let name = product_name(product);
        let installed = product.installed(device.mode, device.device_version);
        let choices: Vec<ReleaseView> = product
            .releases_on(channel)
            .into_iter()
            .map(|r| release_view(r, installed.as_ref(), &name, languages))
            .collect();
        let view = |r: &Release| release_view(r, installed.as_ref(), &name, languages);
        let mut o = OfferView {
            kind: "",
            title: String::new(),
            product: product.id.clone(),
            name: name.clone(),
            installed: installed.as_ref().map(|v| v.as_str().to_string()),
            release: None,
            action: None,
            secondary: None,
            details: Vec::new(),
            choices,
        };
        match product.offer(installed.as_ref(), channel) {
            Offer::Update { from, to } => {
                o.kind = "update";
                o.title = fill(
                    "catalog.offer.update.title",
                    &[("name", &name), ("version", to.version.as_str())],
                );
                o.action = Some(fill(
                    "catalog.offer.update.action",
                    &[
                        ("name", &name),
                        ("installed", from.as_str()),
                        ("version", to.version.as_str()),
                    ],
                ));
                o.release = Some(view(to));
            }
            Offer::UpToDate { installed, release } => {
                o.kind = "up-to-date";
                o.title = fill(
                    "catalog.offer.up_to_date.title",
                    &[("name", &name), ("installed", installed.as_str())],
                );
                o.secondary = Some(fill(
                    "catalog.offer.up_to_date.reinstall",
                    &[("version", release.version.as_str())],
                ));
                o.release = Some(view(release));
            }
            Offer::Newer { installed, latest } => {
                o.kind = "newer";
                o.title = fill(
                    "catalog.offer.newer.title",
                    &[("name", &name), ("installed", installed.as_str())],
                );
                o.details.push(fill(
                    "catalog.offer.newer.detail",
                    &[("latest", latest.version.as_str())],
                ));
            }
            Offer::Install { release } => {
                o.kind = "install";
                o.title = fill(
                    "catalog.offer.install.title",
                    &[("name", &name), ("version", release.version.as_str())],
                );
                o.action = Some(fill(
                    "catalog.offer.install.action",
                    &[("name", &name), ("version", release.version.as_str())],
                ));
                o.details.push(if device.mode == Mode::Dfu {
                    fill("catalog.offer.install.in_update_mode", &[("name", &name)])
                } else {
                    fill("catalog.offer.install.no_version", &[("name", &name)])
                });
                o.release = Some(view(release));
            }
            Offer::NoRelease => {
                o.kind = "no-release";
                o.title = fill("catalog.offer.no_release.title", &[("name", &name)]);
                o.details.push(
                    if channel == Channel::Stable && !product.releases.is_empty() {
                        fill("catalog.offer.no_release.beta_only", &[("name", &name)])
                    } else {
                        fill("catalog.offer.no_release.unchanged", &[("name", &name)])
                    },
                );
            }
        }
        o
    }
}

/// After an update: what the device reports now, against what was installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeView {
    /// The device runs the version installed.
    pub ok: bool,
    pub title: String,
    pub details: Vec<String>,
}

impl OutcomeView {
    /// `device` came back in run-time mode after `wanted` was installed.
    pub fn new(catalog: &Catalog, device: &DeviceInfo, wanted: &str) -> OutcomeView {
        let product = catalog.product_for(device.vendor_id, device.product_id, device.mode);
        let name = product.map_or_else(|| clean(&super::device_name(device)), product_name);
        if device.mode == Mode::Dfu {
            return OutcomeView {
                ok: true,
                title: fill("catalog.outcome.dfu.title", &[("name", &name)]),
                details: vec![text("catalog.outcome.dfu.detail")],
            };
        }
        let installed = product.and_then(|p| p.installed(device.mode, device.device_version));
        let wanted_v = Version::parse(wanted);
        match (installed, wanted_v) {
            (Some(now), Some(w)) if now == w => OutcomeView {
                ok: true,
                title: fill(
                    "catalog.outcome.ok.title",
                    &[("name", &name), ("version", now.as_str())],
                ),
                details: Vec::new(),
            },
            (Some(now), _) => OutcomeView {
                ok: false,
                title: fill(
                    "catalog.outcome.unchanged.title",
                    &[("name", &name), ("installed", now.as_str())],
                ),
                details: vec![fill(
                    "catalog.outcome.unchanged.detail",
                    &[
                        ("version", &clean(wanted)),
                        ("name", &name),
                        ("installed", now.as_str()),
                    ],
                )],
            },
            (None, _) => OutcomeView {
                ok: true,
                title: fill("catalog.outcome.back.title", &[("name", &name)]),
                details: vec![fill("catalog.outcome.back.detail", &[("name", &name)])],
            },
        }
    }

    /// The device did not come back in run-time mode within `seconds`.
    pub fn not_back(name: &str, seconds: u32) -> OutcomeView {
        let name = clean(name);
        OutcomeView {
            ok: false,
            title: fill("catalog.outcome.not_back.title", &[("name", &name)]),
            details: vec![fill(
                "catalog.outcome.not_back.detail",
                &[("name", &name), ("seconds", &seconds.to_string())],
            )],
        }
    }
}
