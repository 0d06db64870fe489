{#- Fails (or warns, with severity: warn) for every row of the model: for models that list
    problems, such as rows left out of a fact. -#}
{% test no_rows(model) %}
    select * from {{ model }}
{% endtest %}
