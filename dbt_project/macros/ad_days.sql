{#- The raw tables the ad facts (fct_ad_performance_daily, fct_ad_days_unconverted) read beside
    Google Ads, for their days to rebuild (macros/rebuild_days.sql): both must rebuild the same
    days, so they name them once, here. A new rate changes every later day that falls back on it. -#}
{% macro ad_days_also_reads() -%}
    {{- return([
        {'source': 'microsoft_ads', 'table': 'campaign_days', 'date_column': 'date_day'},
        {'source': 'meta_ads', 'table': 'campaign_days', 'date_column': 'date_day'},
        {'source': 'fx_rates', 'table': 'daily', 'date_column': 'rate_date', 'through_last_day': true},
    ]) -}}
{%- endmacro %}
