-- Lake overview: how many rows each table of the signal lake holds.
-- Run: lakecast sql --lake LAKE -f sql-examples/00_lake_overview.sql
SELECT 'customers' AS table_name, count(*) AS row_count FROM customers
UNION ALL SELECT 'opportunities', count(*) FROM opportunities
UNION ALL SELECT 'customer_signals', count(*) FROM customer_signals
UNION ALL SELECT 'rep_activity', count(*) FROM rep_activity
UNION ALL SELECT 'resource_capacity', count(*) FROM resource_capacity
UNION ALL SELECT 'members', count(*) FROM members
UNION ALL SELECT 'project_grants', count(*) FROM project_grants
UNION ALL SELECT 'customer_usage', count(*) FROM customer_usage
UNION ALL SELECT 'service_tickets', count(*) FROM service_tickets
UNION ALL SELECT 'transactions', count(*) FROM transactions
UNION ALL SELECT 'signal_weights', count(*) FROM signal_weights
UNION ALL SELECT 'forecast_snapshots', count(*) FROM forecast_snapshots
ORDER BY table_name;
