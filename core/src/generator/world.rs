//! The fictional company's fixed vocabulary: regions, segments, product
//! lines, skills and names.

/// Delivery regions with their share of customers and a typical country.
pub const REGIONS: &[(&str, f64, &[&str])] = &[
    ("NA-East", 0.20, &["United States", "Canada"]),
    ("NA-West", 0.16, &["United States", "Canada"]),
    ("LATAM", 0.08, &["Brazil", "Mexico", "Chile"]),
    ("UK-IE", 0.12, &["United Kingdom", "Ireland"]),
    ("DACH", 0.14, &["Germany", "Austria", "Switzerland"]),
    ("Nordics", 0.08, &["Sweden", "Norway", "Denmark", "Finland"]),
    (
        "APAC",
        0.14,
        &["Japan", "Singapore", "India", "South Korea"],
    ),
    ("ANZ", 0.08, &["Australia", "New Zealand"]),
];

/// Customer segments: name, share of customers, median deal size in USD,
/// licensed seats range.
pub const SEGMENTS: &[(&str, f64, f64, (i64, i64))] = &[
    ("Enterprise", 0.20, 120_000.0, (300, 3000)),
    ("Mid-Market", 0.35, 40_000.0, (50, 300)),
    ("SMB", 0.45, 12_000.0, (10, 50)),
];

/// Industries of customer accounts.
pub const INDUSTRIES: &[&str] = &[
    "Manufacturing",
    "Healthcare",
    "Retail",
    "Financial Services",
    "Logistics",
    "Energy",
    "Public Sector",
    "Software",
];

/// Product lines with a deal-size factor and the hard skills delivery needs.
pub const PRODUCT_LINES: &[(&str, f64, &[&str])] = &[
    (
        "Core Platform",
        1.0,
        &[
            "kubernetes",
            "cloud-aws",
            "cloud-azure",
            "integration",
            "security",
        ],
    ),
    (
        "Analytics",
        0.8,
        &["sql", "data-engineering", "ml", "analytics"],
    ),
    (
        "Edge Devices",
        1.3,
        &["iot", "edge-hardware", "networking", "security"],
    ),
    (
        "Services",
        0.6,
        &["integration", "sap", "salesforce", "analytics"],
    ),
    (
        "Support Plus",
        0.4,
        &["networking", "security", "integration"],
    ),
];

/// Every hard skill tag.
pub const HARD_SKILLS: &[&str] = &[
    "kubernetes",
    "cloud-aws",
    "cloud-azure",
    "integration",
    "security",
    "sql",
    "data-engineering",
    "ml",
    "analytics",
    "iot",
    "edge-hardware",
    "networking",
    "sap",
    "salesforce",
];

/// Every soft skill tag.
pub const SOFT_SKILLS: &[&str] = &[
    "negotiation",
    "executive-communication",
    "workshop-facilitation",
    "mentoring",
    "change-management",
    "german",
    "spanish",
    "japanese",
];

/// Deal stages while open, with the share of the sales cycle at which a deal
/// enters each, and the stage probability the canvas starts from.
pub const OPEN_STAGES: &[(&str, f64, f64)] = &[
    ("Prospecting", 0.0, 0.10),
    ("Qualification", 0.25, 0.20),
    ("Proposal", 0.50, 0.40),
    ("Negotiation", 0.75, 0.60),
];

/// The stage a deal is in after `progress` (0..1) of its expected cycle.
pub fn stage_at(progress: f64) -> (&'static str, f64) {
    let mut current = (OPEN_STAGES[0].0, OPEN_STAGES[0].2);
    for (name, from, base) in OPEN_STAGES {
        if progress >= *from {
            current = (name, *base);
        }
    }
    current
}

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Diego", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas",
    "Kira", "Liam", "Maya", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tara",
    "Umar", "Vera", "Wen", "Yara", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Andersen", "Baker", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hoffmann",
    "Ito", "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Patel",
    "Quintero", "Rossi", "Schmidt", "Tanaka", "Usman", "Virtanen", "Weber", "Young",
];
const COMPANY_WORDS: &[&str] = &[
    "Apex", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris",
    "Juniper", "Keystone", "Lumen", "Meridian", "Nova", "Orion", "Pioneer", "Quarry",
    "Ridge", "Summit", "Tidal", "Union", "Vertex", "Willow", "Zenith",
];
const COMPANY_SUFFIXES: &[&str] = &[
    "Systems",
    "Labs",
    "Industries",
    "Health",
    "Logistics",
    "Energy",
    "Retail",
    "Group",
];

/// A person's name, unique per `id` for the first 600 ids.
pub fn person_name(id: usize) -> String {
    let first = FIRST_NAMES[id % FIRST_NAMES.len()];
    let last = LAST_NAMES[(id / FIRST_NAMES.len()) % LAST_NAMES.len()];
    format!("{first} {last}")
}

/// A company name, made unique by its id.
pub fn company_name(id: usize) -> String {
    let word = COMPANY_WORDS[id % COMPANY_WORDS.len()];
    let suffix = COMPANY_SUFFIXES[(id / COMPANY_WORDS.len()) % COMPANY_SUFFIXES.len()];
    format!("{word} {suffix} {id}")
}
