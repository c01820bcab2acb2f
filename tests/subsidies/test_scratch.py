def test_x(db):
    from assessment.models import Policy
    from stations.models import Region
    for p in Policy.objects.all(): print(p.code,p.version,p.year,p.region.code,p.region.name,p.kinds,p.one_time_basis,p.purchase_of_services_excluded,list(p.one_time_amounts.values_list('kind','amount')), list(p.subsidy_amounts.values_list('kind','tier','amount')), p.min_months_recognised, p.period)
    print(list(Region.objects.values_list('code','name','path','level')))
