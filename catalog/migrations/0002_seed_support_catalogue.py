"""The support catalogue of support-matrix.md: products, departments, rules and fields.

Staff edit it afterwards in the admin; this migration only creates what is missing.
"""

from django.db import migrations

BR = ("billing_responsibility", "ID de Responsabilidad de Facturación", "Billing Responsibility ID")
DEP = ("deployment", "Deployment ID", "Deployment ID")
HW = ("hardware", "Número de serie", "Serial number")
MOD = ("module", "Módulo comercial", "Commercial module")

PRODUCTS = [
    ("freepbx", "FreePBX", "FreePBX"),
    ("pbxact-uc", "PBXact UC", "PBXact UC"),
    ("pbxact-cloud", "PBXact Cloud", "PBXact Cloud"),
    ("sipstation", "SIPStation", "SIPStation"),
    ("faxstation", "FAXStation", "FAXStation"),
    ("sbc", "Session Border Controller (SBC)", "Session Border Controller (SBC)"),
    ("vega", "Vega Gateways", "Vega Gateways"),
    ("phones", "Teléfonos", "Phones"),
    ("cards", "Tarjetas/Placas de datos y telefonía", "Telephony and data cards"),
]

# product, code, name_es, name_en, desc_es, desc_en, warranty, contract, credits, extra, fields
D = [
    ("freepbx", "freepbx-appliances", "Appliances FreePBX", "FreePBX Appliances",
     "Asistencia con un problema de hardware en su dispositivo Sangoma FreePBX adquirido.",
     "Help with a hardware problem on the Sangoma FreePBX appliance you bought.",
     "required", "not_required", "free", {}, [HW]),
    ("freepbx", "freepbx-configuration", "Configuración de FreePBX", "FreePBX Configuration",
     "Puesta a punto, configuración de su sistema FreePBX.",
     "Set-up and configuration of your FreePBX system.",
     "not_checked", "required", "used", {}, [BR, DEP]),
    ("freepbx", "freepbx-commercial-modules", "Módulos Comerciales de FreePBX",
     "FreePBX Commercial Modules",
     "Asistencia en un módulo comercial FreePBX que haya comprado. Requiere que el módulo "
     "esté cubierto por un período de mantenimiento activo; las compras de módulos nuevos "
     "incluyen 12 meses de mantenimiento sin cargo.",
     "Help with a FreePBX commercial module you bought. The module must be under an active "
     "maintenance period; new module purchases include 12 months of maintenance at no charge.",
     "not_checked", "not_required", "free", {"requires_module_maintenance": True}, [MOD]),
    ("pbxact-uc", "pbxact-uc-appliances", "Appliances PBXact UC", "PBXact UC Appliances",
     "Asistencia con un problema de hardware en su Appliance PBXact Sangoma adquirido.",
     "Help with a hardware problem on the Sangoma PBXact appliance you bought.",
     "required", "not_required", "free", {}, [HW]),
    ("pbxact-uc", "pbxact-uc-bugs", "Reporte de Bugs en PBXact UC", "PBXact UC Bug Reports",
     "Ayuda a solucionar un error en su sistema PBXact.",
     "Help fixing a bug in your PBXact system.",
     "not_checked", "required", "free", {}, [DEP]),
    ("pbxact-uc", "pbxact-configuration", "Configuración de PBXact", "PBXact Configuration",
     "Soporte en la puesta a punto y configuración de su sistema PBXact.",
     "Set-up and configuration support for your PBXact system.",
     "not_checked", "required", "used", {}, [BR, DEP]),
    ("pbxact-cloud", "pbxact-cloud-bugs", "Reporte de Bugs en PBXact Cloud",
     "PBXact Cloud Bug Reports",
     "Ayuda a solucionar un error en su sistema PBXact UCC.",
     "Help fixing a bug in your PBXact UCC system.",
     "not_checked", "not_offered", "free", {}, []),
    ("pbxact-cloud", "pbxact-ucc-configuration", "Configuración de PBXact UCC",
     "PBXact UCC Configuration",
     "Soporte en la puesta a punto y configuración de su sistema PBXact UCC.",
     "Set-up and configuration support for your PBXact UCC system.",
     "not_checked", "not_offered", "used", {}, [BR]),
    ("sipstation", "sipstation-general", "Soporte General de SIPStation",
     "SIPStation General Support", "Soporte para el servicio SIPStation.",
     "Support for the SIPStation service.", "not_checked", "not_offered", "free", {}, []),
    ("faxstation", "faxstation-general", "Soporte General para FAXStation",
     "FAXStation General Support", "Soporte para el servicio FAXStation.",
     "Support for the FAXStation service.", "not_checked", "not_offered", "free", {}, []),
    ("sbc", "sbc-hardware", "Hardware Appliance SBC", "SBC Hardware Appliance",
     "Asistencia con un problema de hardware en su equipo Sangoma SBC adquirido.",
     "Help with a hardware problem on the Sangoma SBC you bought.",
     "required", "not_required", "free", {}, [HW]),
    ("sbc", "sbc-support", "Soporte SBC", "SBC Support",
     "Asistencia en el producto SBC relacionado con errores/bugs, no con configuración.",
     "Help with bugs in the SBC product, not with configuration.",
     "not_checked", "required", "free", {}, [DEP]),
    ("sbc", "sbc-configuration", "Configuración SBC", "SBC Configuration",
     "Soporte en la puesta a punto y configuración de su SBC. Requiere un contrato de "
     "soporte y un balance de crédito de soporte positivo.",
     "Set-up and configuration of your SBC. Needs a support contract and a positive "
     "support credit balance.",
     "not_checked", "required", "used", {}, [BR, DEP]),
    ("vega", "vega-hardware", "Hardware Vega Gateways", "Vega Gateways Hardware",
     "Asistencia en un problema de hardware con su Vega Gateway.",
     "Help with a hardware problem on your Vega Gateway.",
     "required", "not_required", "free", {}, [HW]),
    ("vega", "vega-support", "Soporte para Vega Gateways", "Vega Gateways Support",
     "Asistencia en el producto Vega Gateways relacionado con errores/bugs, no con "
     "configuración.", "Help with bugs in Vega Gateways, not with configuration.",
     "not_checked", "required", "free", {}, [DEP]),
    ("vega", "vega-configuration", "Configuración de Vega Gateways",
     "Vega Gateways Configuration",
     "Soporte en la configuración de su sistema Vega Gateway.",
     "Configuration support for your Vega Gateway system.",
     "not_checked", "required", "used", {}, [BR, DEP]),
    ("phones", "phones-hardware", "Hardware de Teléfonos Sangoma", "Sangoma Phone Hardware",
     "Asistencia con un problema de hardware en el hardware telefónico adquirido.",
     "Help with a hardware problem on the phone hardware you bought.",
     "required", "not_offered", "free", {}, [HW]),
    ("phones", "phones-support", "Soporte para Teléfonos Sangoma", "Sangoma Phone Support",
     "Asistencia con los teléfonos Sangoma. Solo admitimos teléfonos conectados a un "
     "sistema FreePBX o PBXact.",
     "Help with Sangoma phones. Only phones connected to a FreePBX or PBXact system are "
     "supported.",
     "required", "not_offered", "free", {"requires_connected_deployment": True}, [HW]),
    ("cards", "cards-hardware", "Problema de Hardware en la Tarjeta", "Card Hardware Problem",
     "Asistencia en un problema de hardware con sus tarjetas de telefonía y Datacom.",
     "Help with a hardware problem on your telephony and Datacom cards.",
     "required", "not_offered", "free", {}, [HW]),
    ("cards", "cards-service-request", "Solicitud de servicio de soporte de tarjeta",
     "Card Support Service Request",
     "Asistencia en la configuración de su tarjeta. Este departamento se atiende con el "
     "mejor esfuerzo, de forma gratuita.",
     "Help configuring your card. This department is served on a best-effort basis, free "
     "of charge.", "not_checked", "not_offered", "free", {"best_effort": True}, []),
]


def seed(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    Department = apps.get_model("catalog", "Department")
    DepartmentField = apps.get_model("catalog", "DepartmentField")
    products = {}
    for position, (code, es, en) in enumerate(PRODUCTS):
        products[code], _ = Product.objects.get_or_create(
            code=code, defaults={"name_es": es, "name_en": en, "position": position})
    for position, row in enumerate(D):
        (product, code, name_es, name_en, desc_es, desc_en, warranty, contract, credits,
         extra, fields) = row
        department, created = Department.objects.get_or_create(code=code, defaults={
            "product": products[product], "name_es": name_es, "name_en": name_en,
            "description_es": desc_es, "description_en": desc_en, "warranty_rule": warranty,
            "contract_rule": contract, "credits_rule": credits, "position": position, **extra,
        })
        if not created:
            continue
        for field_position, (kind, label_es, label_en) in enumerate(fields):
            DepartmentField.objects.create(department=department, key=kind, kind=kind,
                                           label_es=label_es, label_en=label_en,
                                           required=True, position=field_position)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
