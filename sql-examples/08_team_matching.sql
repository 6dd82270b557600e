-- Team matching: for every open deal in Proposal or Negotiation, the three
-- engineers whose skills best cover the tags the deal needs, among those
-- with at least 8 free hours a week, so nobody goes over their weekly
-- hours. Ties go to the person with more free time.
-- Run: lakecast sql --lake LAKE -f sql-examples/08_team_matching.sql
WITH projects AS (
    SELECT opportunity_id, region, required_tags
    FROM opportunities
    WHERE won IS NULL AND stage IN ('Proposal', 'Negotiation')
),
candidates AS (
    SELECT member_id, name, role, region,
           array_concat(hard_skills, soft_skills) AS tags,
           weekly_hours - booked_hours            AS free_hours
    FROM members
    WHERE role IN ('delivery_engineer', 'solutions_engineer')
      AND weekly_hours - booked_hours >= 8
),
ranked AS (
    SELECT p.opportunity_id, c.name, c.role, c.free_hours,
           tag_coverage(p.required_tags, c.tags)  AS coverage,
           c.region = p.region                    AS same_region,
           row_number() OVER (
               PARTITION BY p.opportunity_id
               ORDER BY tag_coverage(p.required_tags, c.tags) DESC,
                        c.region = p.region DESC, c.free_hours DESC, c.member_id
           ) AS pick
    FROM projects p CROSS JOIN candidates c
)
SELECT opportunity_id, pick, name, role, round(coverage, 2) AS coverage,
       same_region, free_hours
FROM ranked
WHERE pick <= 3
ORDER BY opportunity_id, pick
LIMIT 30;
