//! `hwmon` (`/sys/class/hwmon`) and `thermal_zone` (`/sys/class/thermal`):
//! temperatures, voltages, fans and cooling devices.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::emit::Emitter;
use crate::error::CollectorError;
use crate::read::{dir_names, read_number, read_trimmed};
use crate::registry::Collector;

/// The most chips, and sensor files per chip, that are read.
const MAX_ENTRIES: usize = 4096;

/// Sensor types node_exporter knows (`<type><n>_<property>` file names).
const SENSOR_TYPES: [&str; 13] = [
    "vrm",
    "beep_enable",
    "update_interval",
    "in",
    "cpu",
    "fan",
    "pwm",
    "temp",
    "curr",
    "power",
    "energy",
    "humidity",
    "intrusion",
];

/// Lower-cases and replaces what cannot be in a metric name by `_`.
fn clean(name: &str) -> String {
    let s: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == ':' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.trim_matches('_').to_string()
}

/// Splits `temp1_input` into `("temp", "1", "input")`.
fn explode(file: &str) -> Option<(&str, &str, &str)> {
    let digits = file.find(|c: char| c.is_ascii_digit());
    let (ty, rest) = match digits {
        Some(i) => file.split_at(i),
        None => (file.split_once('_').map_or(file, |(t, _)| t), ""),
    };
    let (num, prop) = match rest.find('_') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    if !num.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Types with an underscore in them (`beep_enable`) have no number.
    let ty = SENSOR_TYPES
        .iter()
        .find(|t| file.starts_with(**t) && (digits.is_none() || **t == ty))?;
    let prop = if digits.is_none() { "" } else { prop };
    Some((ty, num, prop))
}

pub(crate) struct Hwmon {
    dir: PathBuf,
}

impl Hwmon {
    pub(crate) fn new(sysfs: &Path) -> Self {
        Hwmon {
            dir: sysfs.join("class/hwmon"),
        }
    }

    /// A stable chip name: the device's bus and name, else the hwmon's
    /// `name` file, else `hwmonN`.
    fn chip(dir: &Path, entry: &str) -> String {
        if let Ok(dev) = std::fs::canonicalize(dir.join("device")) {
            let name = dev.file_name().map(|n| clean(&n.to_string_lossy()));
            let ty = dev
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| clean(&n.to_string_lossy()));
            match (ty, name) {
                (Some(t), Some(n)) if !t.is_empty() && !n.is_empty() => return format!("{t}_{n}"),
                (_, Some(n)) if !n.is_empty() => return n,
                _ => {}
            }
        }
        clean(entry)
    }

    fn chip_update(&self, out: &mut Emitter, entry: &str) -> Result<(), CollectorError> {
        let dir = self.dir.join(entry);
        let chip = Self::chip(&dir, entry);
        if let Some(name) = read_trimmed(&dir.join("name")) {
            out.gauge(
                "node_hwmon_chip_names",
                "Annotation metric for human-readable chip names",
                &[("chip", &chip), ("chip_name", &name)],
                1.0,
            );
        }
        // sensor ("temp1") -> property ("input", "" for a bare value) -> file
        let mut sensors: BTreeMap<(String, String), BTreeMap<String, PathBuf>> = BTreeMap::new();
        for d in [dir.clone(), dir.join("device")] {
            let Ok(files) = dir_names(&d, MAX_ENTRIES) else {
                continue;
            };
            for f in files {
                if let Some((ty, num, prop)) = explode(&f) {
                    sensors
                        .entry((ty.to_string(), format!("{ty}{num}")))
                        .or_default()
                        .insert(prop.to_string(), d.join(&f));
                }
            }
        }
        for ((ty, sensor), props) in &sensors {
            let labels = [("chip", chip.as_str()), ("sensor", sensor.as_str())];
            if let Some(label) = props.get("label").and_then(|p| read_trimmed(p)) {
                out.gauge(
                    "node_hwmon_sensor_label",
                    "Label for given chip and sensor",
                    &[("chip", &chip), ("sensor", sensor), ("label", &label)],
                    1.0,
                );
            }
            for (prop, path) in props {
                if prop == "label" || (ty == "temp" && prop == "type") {
                    continue;
                }
                let Some(v) = read_number(path) else { continue };
                emit_sensor(out, ty, prop, props.contains_key(""), &labels, v);
            }
        }
        Ok(())
    }
}

/// Names and scales one sensor reading as node_exporter does.
fn emit_sensor(
    out: &mut Emitter,
    ty: &str,
    prop: &str,
    has_bare: bool,
    labels: &[(&str, &str); 2],
    v: f64,
) {
    match ty {
        "beep_enable" => {
            return out.gauge(
                "node_hwmon_beep_enabled",
                "Hardware beep enabled",
                labels,
                v,
            );
        }
        "vrm" => {
            return out.gauge(
                "node_hwmon_voltage_regulator_version",
                "Hardware voltage regulator",
                labels,
                v,
            );
        }
        "update_interval" => {
            return out.gauge(
                "node_hwmon_update_interval_seconds",
                "Hardware monitor update interval",
                labels,
                v * 0.001,
            );
        }
        _ => {}
    }
    let mut name = format!("node_hwmon_{ty}");
    if prop == "input" {
        if has_bare {
            name.push_str("_input");
        }
    } else if !prop.is_empty() {
        name.push('_');
        name.push_str(&clean(prop));
    }
    if prop == "fault" || prop == "alarm" {
        return out.gauge(
            &name,
            &format!("Hardware sensor {prop} status ({ty})"),
            labels,
            v,
        );
    }
    if prop == "beep" {
        return out.gauge(
            &format!("{name}_enabled"),
            "Hardware monitor sensor has beeping enabled",
            labels,
            v,
        );
    }
    match ty {
        "in" | "cpu" => out.gauge(&format!("{name}_volts"), &format!("Hardware monitor for voltage ({prop})"), labels, v * 0.001),
        "temp" => out.gauge(&format!("{name}_celsius"), &format!("Hardware monitor for temperature ({prop})"), labels, v * 0.001),
        "curr" => out.gauge(&format!("{name}_amps"), &format!("Hardware monitor for current ({prop})"), labels, v * 0.001),
        "energy" => out.counter(&format!("{name}_joule_total"), &format!("Hardware monitor for joules used so far ({prop})"), labels, v / 1e6),
        "power" if prop == "accuracy" => out.gauge(&name, "Hardware monitor power meter accuracy, as a ratio", labels, v / 1e6),
        "power" => out.gauge(&format!("{name}_watt"), &format!("Hardware monitor for power usage in watts ({prop})"), labels, v / 1e6),
        "humidity" => out.gauge(&name, &format!("Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) ({prop})"), labels, v / 1e6),
        "fan" if matches!(prop, "input" | "min" | "max" | "target") => out.gauge(&format!("{name}_rpm"), &format!("Hardware monitor for fan revolutions per minute ({prop})"), labels, v),
        _ => out.gauge(&name, &format!("Hardware monitor {ty} element {prop}"), labels, v),
    }
}

impl Collector for Hwmon {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        if !self.dir.is_dir() {
            return Err(CollectorError::NoData(format!("no {}", self.dir.display())));
        }
        let mut last = Ok(());
        for entry in dir_names(&self.dir, MAX_ENTRIES)? {
            if let Err(e) = self.chip_update(out, &entry) {
                last = Err(e);
            }
        }
        last
    }
}

pub(crate) struct ThermalZone {
    dir: PathBuf,
}

impl ThermalZone {
    pub(crate) fn new(sysfs: &Path) -> Self {
        ThermalZone {
            dir: sysfs.join("class/thermal"),
        }
    }
}

impl Collector for ThermalZone {
    fn update(&self, out: &mut Emitter) -> Result<(), CollectorError> {
        for entry in dir_names(&self.dir, MAX_ENTRIES)? {
            let d = self.dir.join(&entry);
            if let Some(zone) = entry.strip_prefix("thermal_zone") {
                let (Some(ty), Some(temp)) =
                    (read_trimmed(&d.join("type")), read_number(&d.join("temp")))
                else {
                    continue;
                };
                out.gauge(
                    "node_thermal_zone_temp",
                    "Zone temperature in Celsius",
                    &[("type", &ty), ("zone", zone)],
                    temp / 1000.0,
                );
            } else if let Some(name) = entry.strip_prefix("cooling_device") {
                let ty = read_trimmed(&d.join("type")).unwrap_or_default();
                if let Some(v) = read_number(&d.join("cur_state")) {
                    out.gauge(
                        "node_cooling_device_cur_state",
                        "Current throttle state of the cooling device",
                        &[("name", name), ("type", &ty)],
                        v,
                    );
                }
                if let Some(v) = read_number(&d.join("max_state")) {
                    out.gauge(
                        "node_cooling_device_max_state",
                        "Maximum throttle state of the cooling device",
                        &[("name", name), ("type", &ty)],
                        v,
                    );
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_file_names_split_like_node_exporter() {
        assert_eq!(explode("temp1_input"), Some(("temp", "1", "input")));
        assert_eq!(explode("fan12_min"), Some(("fan", "12", "min")));
        assert_eq!(explode("in0_label"), Some(("in", "0", "label")));
        assert_eq!(explode("beep_enable"), Some(("beep_enable", "", "")));
        assert_eq!(
            explode("update_interval"),
            Some(("update_interval", "", ""))
        );
        assert_eq!(explode("name"), None);
        assert_eq!(explode("uevent"), None);
    }

    #[test]
    fn clean_names() {
        assert_eq!(clean("Core 0\n"), "core_0");
        assert_eq!(clean("--x--"), "x");
    }
}
