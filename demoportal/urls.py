from django.urls import path

from demoportal import views

app_name = "demoportal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("work-orders/", views.work_orders, name="work-orders"),
    path("work-orders/<str:ref>/", views.work_order_detail, name="work-order-detail"),
    path("classic/signon.asp", views.classic_signon, name="classic-signon"),
    path("classic/main.asp", views.classic_main, name="classic-main"),
    path("classic/mywork.asp", views.classic_mywork, name="classic-mywork"),
    path("classic/tickets.asp", views.classic_tickets, name="classic-tickets"),
    path("classic/ticket.asp", views.classic_ticket, name="classic-ticket"),
]
